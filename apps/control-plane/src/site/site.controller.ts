import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Site } from '#contracts';
import { READ_ROLES, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SiteService } from './site.service.js';

@ApiTags('site')
@ApiBearerAuth()
@Controller('api/site')
export class SiteController {
  constructor(
    private readonly sites: SiteService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Floors, nodes, edges, wards and lifts (the map nurse stations draw robots on), and the
   * site's time zone (SITE_TIME_ZONE): the web UI shows times in the hospital's local time
   * whatever the browser's own zone is, the same as the alarm catalogue's wording.
   */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get the site graph (floors, nodes, edges, wards, lifts)' })
  @Get()
  @WardScope.none('the site graph: floors, nodes and wards, no patient data')
  get(): Site & { timeZone: string } {
    return { ...this.sites.site, timeZone: this.config.alarmEngine.siteTimeZone };
  }
}
