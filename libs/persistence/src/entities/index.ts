import { AlarmEntity } from './alarm.entity.js';
import { CabinetLedgerEntryEntity, CabinetPocketEntity, CabinetRecallEntity } from './cabinet.entity.js';
import { DeviceCommandEntity } from './command.entity.js';
import { SensorAlarmRuleEntity, SensorExcursionEntity } from './sensor.entity.js';
import { TelemetrySampleEntity, TelemetryRollupEntity } from './telemetry.entity.js';
import {
  AdministrationSlotEntity,
  CustodyChainHeadEntity,
  CustodyEventEntity,
  DeliveryEntity,
  DoseEntity,
  MedicationEntity,
  MedicationOrderEntity,
  PatientEntity,
} from './custody.entities.js';
import { DeviceEntity } from './device.entity.js';
import { MissionEntity, MissionEventEntity } from './mission.entity.js';
import { UserEntity } from './user.entity.js';
import { AuthSessionEntity } from './auth-session.entity.js';
import { IdempotencyKeyEntity, StoreProbeEntity } from './store.entities.js';
import { RobotFactsheetEntity } from './robot-factsheet.entity.js';

export * from './alarm.entity.js';
export * from './cabinet.entity.js';
export * from './command.entity.js';
export * from './sensor.entity.js';
export * from './telemetry.entity.js';
export * from './custody.entities.js';
export * from './device.entity.js';
export * from './mission.entity.js';
export * from './user.entity.js';
export * from './auth-session.entity.js';
export * from './store.entities.js';
export * from './robot-factsheet.entity.js';

/** Every entity, registered with the data source. */
export const ENTITIES = [
  UserEntity,
  AuthSessionEntity,
  DeviceEntity,
  AlarmEntity,
  MissionEntity,
  MissionEventEntity,
  PatientEntity,
  MedicationEntity,
  MedicationOrderEntity,
  DoseEntity,
  DeliveryEntity,
  AdministrationSlotEntity,
  CustodyEventEntity,
  CustodyChainHeadEntity,
  CabinetPocketEntity,
  CabinetLedgerEntryEntity,
  CabinetRecallEntity,
  DeviceCommandEntity,
  TelemetrySampleEntity,
  TelemetryRollupEntity,
  SensorAlarmRuleEntity,
  SensorExcursionEntity,
  StoreProbeEntity,
  IdempotencyKeyEntity,
  RobotFactsheetEntity,
];
