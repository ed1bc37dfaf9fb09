import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Site } from '#contracts';
import { READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { SiteService } from './site.service.js';

@ApiTags('site')
@ApiBearerAuth()
@Controller('api/site')
export class SiteController {
  constructor(private readonly sites: SiteService) {}

  /** Floors, nodes, edges, wards and lifts (the map nurse stations draw robots on). */
  @Roles(...READ_ROLES)
  @Get()
  @WardScope.none('the site graph: floors, nodes and wards, no patient data')
  get(): Site {
    return this.sites.site;
  }
}
