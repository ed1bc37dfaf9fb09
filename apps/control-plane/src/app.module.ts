import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import type { Logger } from 'pino';
import { PersistenceModule } from '#persistence';
import { AlarmsModule } from './alarms/alarms.module.js';
import { AuditAnchorModule } from './audit-anchor/audit-anchor.module.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { AllExceptionsFilter } from './common/error.filter.js';
import { EventBus } from './common/events.js';
import { IdempotencyInterceptor } from './common/idempotency.js';
import { LOGGER } from './common/logger.js';
import { PolicyCheck } from './common/policy-check.js';
import { WardScopeGuard } from './common/ward-scope.guard.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { DevicesModule } from './devices/devices.module.js';
import { CustodyModule } from './custody/custody.module.js';
import { FleetModule } from './fleet/fleet.module.js';
import { AlarmEngineModule } from './alarm-engine/alarm-engine.module.js';
import { CabinetsModule } from './cabinets/cabinets.module.js';
import { SensorsModule } from './sensors/sensors.module.js';
import { LiveModule } from './live/live.module.js';
import { SiteModule } from './site/site.module.js';
import type { Site } from '#contracts';
import { HealthController } from './health/health.controller.js';
import { StoreHealthService } from './health/store-health.service.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { MqttModule } from './mqtt/mqtt.module.js';
import { UsersController } from './users/users.controller.js';
import { UsersService } from './users/users.service.js';

/** Shared infrastructure every feature may inject: config, logger, metrics, event bus. */
@Module({})
class CoreModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: LOGGER, useValue: logger }, MetricsService, EventBus],
      exports: [APP_CONFIG, LOGGER, MetricsService, EventBus],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger, site: Site): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger),
        PersistenceModule.forRoot(config.database, { logger }),
        AuthModule,
        DiscoveryModule,
        SiteModule.forRoot(site),
        DevicesModule,
        MqttModule,
        AlarmsModule,
        FleetModule,
        AlarmEngineModule,
        SensorsModule,
        CabinetsModule,
        CustodyModule,
        AuditAnchorModule,
        LiveModule,
      ],
      controllers: [HealthController, MetricsController, UsersController],
      providers: [
        UsersService,
        PolicyCheck,
        StoreHealthService,
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_GUARD, useClass: AuthGuard },
        // after AuthGuard (global guards run in this order): it needs the user AuthGuard attached
        { provide: APP_GUARD, useClass: WardScopeGuard },
        { provide: APP_FILTER, useFactory: (metrics: MetricsService) => new AllExceptionsFilter(logger, metrics), inject: [MetricsService] },
      ],
    };
  }
}
