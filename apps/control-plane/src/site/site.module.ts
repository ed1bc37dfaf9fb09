import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Site } from '#contracts';
import { SiteController } from './site.controller.js';
import { SITE, SiteService } from './site.service.js';

/** The hospital site, parsed before the app is built (see startControlPlane). */
@Global()
@Module({})
export class SiteModule {
  static forRoot(site: Site): DynamicModule {
    return { module: SiteModule, controllers: [SiteController], providers: [{ provide: SITE, useValue: site }, SiteService], exports: [SiteService] };
  }
}
