/**
 * Which in-process events reach which rooms. The robot, mission, alarm and device events are
 * projected by LiveProjection (they need live state or a lookup); any event that carries its
 * own `ward` is forwarded as it is by one line here. A feature adding such an event adds a
 * line below and the matching entry in LiveEventMap (libs/contracts/src/live/live.types.ts).
 */
import { z } from 'zod';
import type { LiveEventType } from '#contracts';

/** bus event type → live event type, for events whose payload names its ward */
export const WARD_SCOPED_ROUTES: Readonly<Record<string, LiveEventType>> = {
  'custody.dose_changed': 'custody.dose_changed',
  'custody.delivery_changed': 'custody.delivery_changed',
  'custody.order_changed': 'custody.order_changed',
  'sensor.reading': 'sensor.reading',
};

/** The payload contract of a ward-scoped event: whatever it carries, it names its ward. */
export const wardScopedPayload = z.looseObject({ ward: z.string().min(1).max(64) });
