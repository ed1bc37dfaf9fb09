/**
 * Smart medication cabinet payloads: telemetry (lockdown, drawers, pocket lock states and the
 * internal temperature of refrigerated drawers) and events (pocket access, forced doors,
 * counts). Inventory itself is not telemetry: the cabinet reports what it physically observed
 * (a pocket opened, a count entered) and the server's ledger decides what that means.
 */
import { z } from 'zod';
import { headerShape, messageIdSchema, shortText } from './device.header.js';

const localId = (what: string) => z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: `${what} must be 1-32 characters of A-Z a-z 0-9 _ . -` });
export const pocketIdSchema = localId('pocketId');
export const drawerIdSchema = localId('drawerId');
export const userIdSchema = shortText(64);
export const lotSchema = z.string().regex(/^[\x21-\x7e]{1,20}$/, { error: 'lot must be 1-20 printable characters (GS1 AI 10)' });

export const POCKET_STATES = ['locked', 'unlocked', 'open', 'fault'] as const;

const pocketSchema = z.strictObject({ pocketId: pocketIdSchema, state: z.enum(POCKET_STATES) });

const drawerSchema = z
  .strictObject({
    drawerId: drawerIdSchema,
    refrigerated: z.boolean(),
    temperatureC: z.number().min(-90).max(90).optional(),
    pockets: z.array(pocketSchema).max(128),
  })
  .refine((d) => !d.refrigerated || d.temperatureC !== undefined, { path: ['temperatureC'], error: 'a refrigerated drawer must report temperatureC' });

export const cabinetTelemetrySchema = z
  .strictObject({
    ...headerShape,
    lockdown: z.boolean(),
    doorOpen: z.boolean().optional(),
    onBattery: z.boolean().optional(),
    drawers: z.array(drawerSchema).min(1, { error: 'at least one drawer is required' }).max(64),
  })
  .superRefine((m, ctx) => {
    const drawers = new Set<string>();
    const pockets = new Set<string>();
    m.drawers.forEach((d, i) => {
      if (drawers.has(d.drawerId)) ctx.addIssue({ code: 'custom', path: ['drawers', i, 'drawerId'], message: `drawer '${d.drawerId}' appears twice` });
      drawers.add(d.drawerId);
      d.pockets.forEach((p, j) => {
        if (pockets.has(p.pocketId))
          ctx.addIssue({ code: 'custom', path: ['drawers', i, 'pockets', j, 'pocketId'], message: `pocket '${p.pocketId}' appears twice` });
        pockets.add(p.pocketId);
      });
    });
  });

const cabinetEvent = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.strictObject({ ...headerShape, type: z.literal(type), ...shape });

export const cabinetEventSchema = z.discriminatedUnion('type', [
  /** Opened after an unlockPocket command (commandId) or with a key (no commandId: suspicious). */
  cabinetEvent('pocketOpened', { pocketId: pocketIdSchema, userId: userIdSchema.optional(), commandId: messageIdSchema.optional() }),
  cabinetEvent('pocketClosed', { pocketId: pocketIdSchema, openS: z.number().min(0), commandId: messageIdSchema.optional() }),
  /** The unlock window elapsed without the pocket being opened; the pocket locked itself again. */
  cabinetEvent('pocketUnlockExpired', { pocketId: pocketIdSchema, commandId: messageIdSchema }),
  cabinetEvent('pocketLeftOpen', { pocketId: pocketIdSchema, openS: z.number().min(0) }),
  cabinetEvent('doorForced', { drawerId: drawerIdSchema.optional() }),
  /** A count typed at the cabinet; `blind` = the expected quantity was not shown. */
  cabinetEvent('countEntered', {
    pocketId: pocketIdSchema,
    userId: userIdSchema,
    counted: z.int().min(0),
    blind: z.boolean(),
    lot: lotSchema.optional(),
    commandId: messageIdSchema.optional(),
  }),
  cabinetEvent('lockdownEngaged', { reason: shortText(), commandId: messageIdSchema.optional() }),
  cabinetEvent('lockdownReleased', { commandId: messageIdSchema.optional() }),
  cabinetEvent('powerLost', { onBattery: z.boolean() }),
  cabinetEvent('powerRestored', {}),
  cabinetEvent('rebooted', { reason: z.enum(['power_on', 'watchdog', 'firmware_update', 'command']) }),
]);

export type CabinetTelemetry = z.output<typeof cabinetTelemetrySchema>;
export type CabinetEvent = z.output<typeof cabinetEventSchema>;
export type CabinetEventType = CabinetEvent['type'];
export type PocketLockState = (typeof POCKET_STATES)[number];
