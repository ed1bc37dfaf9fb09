/**
 * Where a dose is. Every dose has, at every instant from its pick to its end, one known place,
 * and that place is written on the dose's custody events (the `location` column, inside the
 * hash chain). This module owns the grammar of those places and turns a dose's events into an
 * interval history: the only way custody answers "was dose D inside storage S during the
 * window of an excursion" and "how long has this refrigerated dose been out of the cold".
 *
 *   pharmacy                    the pharmacy's bench and shelves (room temperature)
 *   storage:<fridge id>         a fridge with a temperature logger (pharmacy or ward)
 *   cabinet:<cabinet>/<drawer>  a drawer of a smart cabinet (refrigerated or not)
 *   robot:<robot>:<compartment> a robot's compartment (refrigerated or not)
 *   ward:<ward>                 the ward's medication room, outside any fridge
 *   bedside:<patient id>        at the patient's bed, in the nurse's hands
 *   courier:<username>          in the hands of a named courier
 *   lost                        nobody knows; the interval starts when it was declared lost
 *
 * Events written before this grammar name a ward by its bare id; they read as `ward:<id>`.
 */

export type LocationKind = 'pharmacy' | 'storage' | 'cabinet' | 'robot' | 'ward' | 'bedside' | 'courier' | 'lost';

export interface DoseLocation {
  kind: LocationKind;
  /** the location key as recorded (`robot:R1:C3`) */
  key: string;
  /** fridge id, `cabinet/drawer`, `robot/compartment`, ward, patient id or courier: what the key names */
  id: string | null;
}

const PREFIXES: readonly LocationKind[] = ['storage', 'cabinet', 'robot', 'ward', 'bedside', 'courier'];

export const locationKey = {
  pharmacy: (): string => 'pharmacy',
  fridge: (fridgeId: string): string => `storage:${fridgeId}`,
  cabinetDrawer: (cabinetId: string, drawerId: string): string => `cabinet:${cabinetId}/${drawerId}`,
  robotCompartment: (robotId: string, compartmentId: string): string => `robot:${robotId}:${compartmentId}`,
  ward: (ward: string): string => `ward:${ward}`,
  bedside: (patientId: string): string => `bedside:${patientId}`,
  courier: (username: string): string => `courier:${username}`,
  lost: (): string => 'lost',
};

/**
 * The place an event about a dose names when the dose itself has none recorded: a dose not
 * yet picked is an order line, kept by the pharmacy. Every custody event names a place.
 */
export const placeOrPharmacy = (location: string | null | undefined): string => location || locationKey.pharmacy();

/** Reads a recorded location; null for an event that records no place. */
export function parseLocation(key: string | null | undefined): DoseLocation | null {
  if (!key) return null;
  if (key === 'pharmacy' || key === 'lost') return { kind: key, key, id: null };
  const colon = key.indexOf(':');
  const prefix = colon > 0 ? key.slice(0, colon) : '';
  if ((PREFIXES as readonly string[]).includes(prefix)) {
    const rest = key.slice(colon + 1);
    // a robot key is robot:<robot>:<compartment> (a robot id may hold ':'); its storage id is robot/compartment
    const last = rest.lastIndexOf(':');
    const id = prefix === 'robot' && last > 0 ? `${rest.slice(0, last)}/${rest.slice(last + 1)}` : rest;
    return { kind: prefix as LocationKind, key, id: id || null };
  }
  return { kind: 'ward', key: locationKey.ward(key), id: key };
}

/** One stay of a dose at one place. */
export interface LocationInterval {
  location: DoseLocation;
  /** ISO start; null when custody does not know when the unit got there (it was in stock before the pick) */
  from: string | null;
  /** ISO end; null while the dose is still there */
  to: string | null;
  /** kept cold: a fridge, a refrigerated drawer or compartment */
  refrigerated: boolean;
  /** the custody event (seq) that put the dose here */
  seq: number | null;
  action: string;
}

/** The part of a custody event the history reads. */
export interface LocatedEvent {
  seq: number;
  at: Date;
  action: string;
  toState: string | null;
  location: string | null;
  evidence: Record<string, unknown>;
}

/** States after which the dose no longer exists as a unit anyone holds. */
const CONSUMED = new Set(['administered', 'wasted', 'entered_in_error']);

/**
 * The interval history of one dose from its custody events (in chain order). An event moves
 * the dose when its location differs from the current one; administration or destruction
 * ends the last interval. The event a pick records for the unit's source (a fridge, a drawer:
 * `evidence.inStock: true`) opens with an unknown start: the unit was in stock there before
 * custody knew it. Refrigeration: a fridge always, a drawer or compartment when the event that
 * put the dose there says so (`evidence.refrigerated: true`). A queued dose's events place
 * nothing: it is an order line until a unit is picked for it; neither does an event without a
 * state (a refused scan records where the nurse stood, not where the dose went). A move that
 * keeps the state (`relocateDose`) names it as both from and to.
 */
export function locationHistory(events: readonly LocatedEvent[]): LocationInterval[] {
  const out: LocationInterval[] = [];
  const close = (at: string) => {
    const last = out[out.length - 1];
    if (last && last.to === null) last.to = at;
  };
  for (const e of events) {
    const at = e.at.toISOString();
    const inStock = e.evidence['inStock'] === true;
    // a queued dose is an order line, not yet a unit anyone holds: its events place nothing;
    // nor does an event that moves no state (a refusal, an audit: where the person stood)
    if ((e.toState === 'queued' && !inStock) || e.toState === null) continue;
    const place = parseLocation(e.location);
    if (place) {
      const current = out[out.length - 1];
      if (!current || current.to !== null || current.location.key !== place.key) {
        close(at);
        out.push({
          location: place,
          from: inStock && out.length === 0 ? null : at,
          to: null,
          refrigerated: isRefrigerated(place, e.evidence['refrigerated']),
          seq: e.seq,
          action: e.action,
        });
      }
    }
    if (e.toState && CONSUMED.has(e.toState)) close(at);
  }
  return out;
}

function isRefrigerated(place: DoseLocation, claimed: unknown): boolean {
  if (place.kind === 'storage') return true;
  if (place.kind === 'cabinet' || place.kind === 'robot') return claimed === true;
  return false;
}

/** Did the interval touch [start, end] (ms; end may be +∞ for an open window)? An open-start interval reaches back for ever. */
export function overlaps(i: Pick<LocationInterval, 'from' | 'to'>, start: number, end: number): boolean {
  const from = i.from === null ? Number.NEGATIVE_INFINITY : Date.parse(i.from);
  const to = i.to === null ? Number.POSITIVE_INFINITY : Date.parse(i.to);
  return from <= end && to >= start;
}

/** Is `key` the location or a location inside it (`robot:R1:` holds `robot:R1:C3`)? */
export function locatedAt(location: DoseLocation, key: string): boolean {
  return location.key === key || (key.endsWith(':') || key.endsWith('/') ? location.key.startsWith(key) : false);
}

/** Did the dose stay at `key` at some instant of [start, end]? */
export function wasAt(history: readonly LocationInterval[], key: string, start: number, end: number): boolean {
  return history.some((i) => locatedAt(i.location, key) && overlaps(i, start, end));
}

/**
 * Minutes a refrigerated dose has spent out of the cold since its pick (time out of
 * refrigeration), up to `now` for a stay that has not ended. The stay in stock before the
 * pick does not count: it was in its storage. `since` (a pharmacist's release of the dose
 * after a review of its exposure) starts the count afresh: what was reviewed is not counted
 * twice.
 */
export function minutesOutOfRefrigeration(history: readonly LocationInterval[], now: Date, since?: Date): number {
  let ms = 0;
  const floor = since ? since.getTime() : Number.NEGATIVE_INFINITY;
  for (const i of history) {
    if (i.refrigerated || i.from === null) continue;
    const from = Math.max(Date.parse(i.from), floor);
    ms += Math.max(0, (i.to === null ? now.getTime() : Date.parse(i.to)) - from);
  }
  return ms / 60_000;
}

/**
 * A dose's time out of refrigeration from its custody events: counted since its pick, or
 * since the pharmacist's last release of it (`quarantine_released`) after a review.
 */
export function doseMinutesOutOfRefrigeration(events: readonly LocatedEvent[], now: Date): number {
  const released = [...events].reverse().find((e) => e.action === 'quarantine_released');
  return minutesOutOfRefrigeration(locationHistory(events), now, released?.at);
}

/**
 * How long a refrigerated drug may spend out of the cold in total when its medication record
 * names no allowance. Half an hour covers a pick, a handover and a bedside round trip; the
 * stability data of most 2–8 °C products allow more, which the pharmacy configures per drug.
 */
export const DEFAULT_TIME_OUT_OF_REFRIGERATION_MINUTES = 30;
