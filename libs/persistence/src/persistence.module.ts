/**
 * Nest wiring for the database: one TypeORM connection (migrations run at start) and the
 * repository classes the feature services use.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type DatabaseLogger, type DatabaseSettings, dataSourceOptions, openDatabase } from './data-source.js';
import { ENTITIES } from './entities/index.js';
import { AlarmsRepository } from './repositories/alarms.repository.js';
import { CabinetRepository } from './repositories/cabinet.repository.js';
import { CommandRepository } from './repositories/command.repository.js';
import { SensorRepository } from './repositories/sensor.repository.js';
import { TelemetryRepository } from './repositories/telemetry.repository.js';
import { CustodyRepository } from './repositories/custody.repository.js';
import { DevicesRepository } from './repositories/devices.repository.js';
import { MissionsRepository } from './repositories/missions.repository.js';
import { UsersRepository } from './repositories/users.repository.js';
import { AuthSessionsRepository } from './repositories/auth-sessions.repository.js';
import { IdempotencyRepository } from './repositories/idempotency.repository.js';
import { RobotFactsheetsRepository } from './repositories/robot-factsheets.repository.js';
import { DatabaseStartError } from './start-errors.js';

const REPOSITORIES = [
  UsersRepository,
  AuthSessionsRepository,
  DevicesRepository,
  AlarmsRepository,
  MissionsRepository,
  CustodyRepository,
  CabinetRepository,
  CommandRepository,
  TelemetryRepository,
  SensorRepository,
  IdempotencyRepository,
  RobotFactsheetsRepository,
];

/**
 * Start-up attempts for a database that may just be coming up (connection refused, starting
 * up): short and bounded, so a wrong DATABASE_URL stops the process within seconds. Anything
 * else (authentication, missing database, locked or read-only SQLite) fails at once.
 */
const START_ATTEMPTS = 3;
const START_RETRY_DELAY_MS = 1000;

@Module({})
export class PersistenceModule {
  static forRoot(db: DatabaseSettings, opts: { logger?: DatabaseLogger } = {}): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(db),
            retryAttempts: START_ATTEMPTS,
            retryDelay: START_RETRY_DELAY_MS,
            toRetry: (err: unknown) => err instanceof DatabaseStartError && err.transient,
          }),
          dataSourceFactory: (options) => openDatabase(db, opts.logger, options),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
