/**
 * Schemas for what browsers send on the live socket. The server parses every incoming message
 * with these before acting; a failure answers with an `error` event naming the field.
 */
import { z } from 'zod';
import type { LiveClientEvents, LiveRoom } from './live.types.js';

export const liveRoomSchema = z
  .string({ error: 'room must be a string' })
  .max(70, { error: 'room is too long' })
  .refine((s) => s === 'site' || /^ward:[\x21-\x7e]{1,64}$/.test(s), { error: "room must be 'site' or 'ward:<wardId>'" })
  .transform((s) => s as LiveRoom);

export const liveSubscribeSchema = z.strictObject({
  room: liveRoomSchema,
  resume: z
    .strictObject({
      epoch: z.string().min(1).max(64),
      seq: z.int().nonnegative(),
    })
    .optional(),
});

export const liveUnsubscribeSchema = z.strictObject({ room: liveRoomSchema });

export const liveHandshakeSchema = z.object({ token: z.string({ error: 'auth.token is required' }).min(1, { error: 'auth.token is required' }).max(4096) });

/** One schema per client event name; an event not listed here is refused. */
export const LIVE_CLIENT_SCHEMAS = {
  subscribe: liveSubscribeSchema,
  unsubscribe: liveUnsubscribeSchema,
} satisfies Record<keyof LiveClientEvents, z.ZodType>;
