/**
 * Where every domain event goes, live: the table is typed over DomainEventMap
 * (libs/contracts/src/events), so an event declared and not placed here — or a misspelled one —
 * is a compile error. Each event is one of:
 *   - `forward`: its payload names its ward and is a LiveEventMap entry as it is; it goes to
 *     the ward's room and the site room unchanged (the compiler checks the payload fits);
 *   - `projected`: LiveProjection turns it into room events (it needs live state or a
 *     lookup); the projection's handler table is typed over these, so each has a handler;
 *   - `internal`: features hear it in process and no browser needs it; the string says who
 *     hears it, and an e2e spec checks at run time that someone does.
 * Sensor readings are rate-limited per sensor, as robot positions are coalesced: a sensor's
 * newest reading at most once per LIVE_SENSOR_INTERVAL_MS (60 s by default), and an unchanged
 * one (to one decimal) at most once per LIVE_SENSOR_REPEAT_MS; the readings that come due in
 * one second travel as one `sensor.readings` delta per room. Forwarding every reading of
 * 10,000 sensors at 0.1 Hz cost the stations' robot deltas a p99 three times as long.
 */
import type { DomainEventMap, DomainEventType, LiveEventMap, LiveEventType } from '#contracts';

/** the live types whose payload this domain event can be forwarded as, unchanged */
type ForwardableAs<K extends DomainEventType> = {
  [L in LiveEventType]: DomainEventMap[K] extends LiveEventMap[L] ? (DomainEventMap[K] extends { ward: string | null } ? L : never) : never;
}[LiveEventType];

export type LiveRoute<K extends DomainEventType> = { forward: ForwardableAs<K> } | 'projected' | { internal: string };

export const LIVE_ROUTES = {
  'custody.order_changed': { forward: 'custody.order_changed' },
  'custody.delivery_changed': { forward: 'custody.delivery_changed' },
  'custody.dose_changed': { forward: 'custody.dose_changed' },
  'sensor.reading': 'projected',
  'robot.updated': 'projected',
  'mission.changed': 'projected',
  'alarm.changed': 'projected',
  'device.online': 'projected',
  'device.offline': 'projected',
  'robot.connection': { internal: 'the fleet (pause or fail a mission, wake the dispatch round)' },
  'robot.state': { internal: 'the fleet (mission progress), custody (compartments) and the alarm conditions' },
  'device.sessions_invalidated': { internal: 'the MQTT service (drops the sessions)' },
  'user.access_changed': { internal: 'live sessions (re-check the user’s rooms)' },
  'user.credentials_changed': { internal: 'auth sessions (end every session of the old credentials)' },
  'auth.sessions_revoked': { internal: 'live sessions (close sockets of ended sessions)' },
  'cabinet.removed': { internal: 'custody (links the unit to the dose’s pick step)' },
  'coldchain.excursion': { internal: 'custody (quarantines the exposed doses)' },
} as const satisfies { readonly [K in DomainEventType]: LiveRoute<K> };

type Routes = typeof LIVE_ROUTES;
export type ProjectedEvent = { [K in DomainEventType]: Routes[K] extends 'projected' ? K : never }[DomainEventType];
export type ForwardedEvent = { [K in DomainEventType]: Routes[K] extends { forward: LiveEventType } ? K : never }[DomainEventType];
export type InternalEvent = { [K in DomainEventType]: Routes[K] extends { internal: string } ? K : never }[DomainEventType];

export const INTERNAL_EVENTS = (Object.keys(LIVE_ROUTES) as DomainEventType[]).filter(
  (k): k is InternalEvent => typeof LIVE_ROUTES[k] === 'object' && 'internal' in LIVE_ROUTES[k],
);

/** an unchanged reading (to one decimal) is sent again only after this long */
export const LIVE_SENSOR_REPEAT_MS = 5 * 60_000;
