/**
 * Nest wiring for the database: one TypeORM connection (migrations run at start) and the
 * repository classes the feature services use.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type DatabaseSettings, dataSourceOptions, ensurePostgresSchema } from './data-source.js';
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

const REPOSITORIES = [
  UsersRepository,
  DevicesRepository,
  AlarmsRepository,
  MissionsRepository,
  CustodyRepository,
  CabinetRepository,
  CommandRepository,
  TelemetryRepository,
  SensorRepository,
];

@Module({})
export class PersistenceModule {
  static forRoot(db: DatabaseSettings): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await ensurePostgresSchema(db);
            return { ...dataSourceOptions(db), retryAttempts: 3, retryDelay: 1000 };
          },
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
