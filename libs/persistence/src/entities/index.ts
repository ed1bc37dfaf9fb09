import { AlarmEntity } from './alarm.entity.js';
import { DeviceEntity } from './device.entity.js';
import { MissionEntity, MissionEventEntity } from './mission.entity.js';
import { UserEntity } from './user.entity.js';

export * from './alarm.entity.js';
export * from './device.entity.js';
export * from './mission.entity.js';
export * from './user.entity.js';

/** Every entity, registered with the data source. */
export const ENTITIES = [UserEntity, DeviceEntity, AlarmEntity, MissionEntity, MissionEventEntity];
