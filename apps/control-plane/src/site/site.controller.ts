import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Site } from '#contracts';
import { ALL_ROLES, Roles } from '../common/auth.decorators.js';
import { SiteService } from './site.service.js';

@ApiTags('site')
@ApiBearerAuth()
@Controller('api/site')
export class SiteController {
  constructor(private readonly sites: SiteService) {}

  /** Floors, nodes, edges, wards and lifts (the map nurse stations draw robots on). */
  @Roles(...ALL_ROLES)
  @Get()
  get(): Site {
    return this.sites.site;
  }
}
