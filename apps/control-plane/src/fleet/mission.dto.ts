import { z } from 'zod';
import { MISSION_PRIORITIES, MISSION_STATUSES } from '#domain';

const nodeId = z.string().min(1).max(128);

export const StopActionSchema = z
  .strictObject({
    kind: z.enum(['pick', 'drop', 'waitForRecipient', 'unlockCompartment', 'lockCompartment', 'startCharging', 'custom']),
    actionType: z.string().min(1).max(64).optional(),
    compartmentId: z.string().min(1).max(64).optional(),
    parameters: z.record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean()])).optional(),
    blocking: z.enum(['NONE', 'SOFT', 'HARD']).optional(),
  })
  .refine((a) => a.kind !== 'custom' || !!a.actionType, { message: 'a custom action needs its actionType', path: ['actionType'] })
  .refine((a) => !['unlockCompartment', 'lockCompartment'].includes(a.kind) || !!a.compartmentId, {
    message: 'compartment actions need a compartmentId',
    path: ['compartmentId'],
  });

export const CreateMissionSchema = z.strictObject({
  stops: z
    .array(z.strictObject({ nodeId, actions: z.array(StopActionSchema).max(20).default([]) }))
    .min(1, 'a mission needs at least one stop')
    .max(20),
  priority: z.enum(MISSION_PRIORITIES).default('routine'),
  requiredRobotId: z.string().min(1).max(64).optional(),
  cargo: z.record(z.string(), z.unknown()).optional(),
});
export type CreateMission = z.infer<typeof CreateMissionSchema>;

export const ListMissionsQuery = z.strictObject({
  status: z.enum(MISSION_STATUSES).optional(),
  robotId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const MissionIdParam = z.uuid({ message: 'id must be a UUID' });
