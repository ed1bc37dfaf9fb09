/**
 * Server → device commands and the device's acknowledgements. Every command carries a
 * `commandId` that the device echoes in exactly one ack on its `ack` topic; the server times
 * out commands that are not acknowledged (see COMMAND_ACK_TIMEOUT_S). Commands carry the v1
 * header too: `deviceId` is the addressee and `seq` counts the server's messages to that
 * device, so a device can drop a redelivered command instead of unlocking twice.
 */
import { z } from 'zod';
import { headerShape, isoTimestampSchema, messageIdSchema, shortText } from './device.header.js';
import { lotSchema, pocketIdSchema, userIdSchema } from './cabinet.messages.js';

/** Why a pocket is unlocked: the same vocabulary as the server's inventory ledger entries. */
export const UNLOCK_REASONS = ['remove', 'return', 'waste', 'restock', 'count', 'override_remove'] as const;

/** Seconds the server waits for an ack before it marks a command `timed_out` (and says so). */
export const COMMAND_ACK_TIMEOUT_S = 10;

/** After this instant the device must refuse the command (it arrived too late to be safe). */
const optionalExpiry = { expiresAt: isoTimestampSchema.optional() };

const command = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ ...headerShape, type: z.literal(type), commandId: messageIdSchema, ...shape });

export const cabinetCommandSchema = z.discriminatedUnion('type', [
  command('unlockPocket', {
    pocketId: pocketIdSchema,
    userId: userIdSchema,
    reason: z.enum(UNLOCK_REASONS),
    // Required here, unlike other commands: an unlock that arrives late must not open a pocket.
    expiresAt: isoTimestampSchema,
    /** How long the pocket stays unlocked waiting to be opened. */
    unlockS: z.int().min(1).max(600).default(30),
  }),
  command('lockdown', { reason: shortText(), ...optionalExpiry }),
  command('releaseLockdown', { userId: userIdSchema, ...optionalExpiry }),
  command('lockLot', { lot: lotSchema, reason: shortText(), ...optionalExpiry }),
  command('unlockLot', { lot: lotSchema, ...optionalExpiry }),
  /** Ask the cabinet to prompt a count at a pocket; `blind` hides the expected quantity. */
  command('requestCount', { pocketId: pocketIdSchema, userId: userIdSchema, blind: z.boolean(), ...optionalExpiry }),
]);

export const sensorCommandSchema = z.discriminatedUnion('type', [
  command('setReportInterval', { intervalS: z.int().min(5).max(3600), ...optionalExpiry }),
  /** Blink/beep so a technician finds the right box. */
  command('identify', { ...optionalExpiry }),
  command('reboot', { ...optionalExpiry }),
]);

export const ACK_RESULTS = ['done', 'refused', 'failed'] as const;

export const deviceAckSchema = z
  .strictObject({
    ...headerShape,
    commandId: messageIdSchema,
    result: z.enum(ACK_RESULTS),
    /** Required unless `done`: a refusal the nurse cannot explain is useless. */
    detail: shortText(500).optional(),
  })
  .refine((a) => a.result === 'done' || a.detail !== undefined, { path: ['detail'], error: "detail is required when result is 'refused' or 'failed'" });

export type CabinetCommand = z.output<typeof cabinetCommandSchema>;
export type CabinetCommandInput = z.input<typeof cabinetCommandSchema>;
export type SensorCommand = z.output<typeof sensorCommandSchema>;
export type SensorCommandInput = z.input<typeof sensorCommandSchema>;
export type DeviceAck = z.output<typeof deviceAckSchema>;
export type AckResult = (typeof ACK_RESULTS)[number];
export type UnlockReason = (typeof UNLOCK_REASONS)[number];
