import { describe, expect, it } from '@jest/globals';
import { locationHistory, locationKey, minutesOutOfRefrigeration, overlaps, parseLocation, wasAt, type LocatedEvent } from './dose-location.js';

const T0 = Date.parse('2026-12-03T08:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000);
const ms = (min: number) => T0 + min * 60_000;
let seq = 0;
const ev = (min: number, action: string, location: string | null, extra: Partial<LocatedEvent> = {}): LocatedEvent => ({
  seq: ++seq,
  at: at(min),
  action,
  toState: action,
  location,
  evidence: {},
  ...extra,
});

/** A refrigerated dose: taken from fridge F, picked, loaded into a cold compartment, received into ward fridge W, given. */
const trip = (): LocatedEvent[] => [
  ev(-60, 'dose_queued', 'pharmacy', { toState: 'queued' }),
  ev(0, 'taken_from_storage', 'storage:F', { toState: 'queued', evidence: { inStock: true } }),
  ev(0, 'picked', 'pharmacy', { toState: 'picked' }),
  ev(5, 'checked', 'pharmacy', { toState: 'checked' }),
  ev(10, 'loaded', 'robot:R1:C3', { toState: 'loaded', evidence: { refrigerated: true } }),
  ev(12, 'dispatched', 'robot:R1:C3', { toState: 'in_transit' }),
  ev(30, 'arrived', 'robot:R1:C3', { toState: 'arrived' }),
  ev(40, 'received', 'storage:W', { toState: 'received' }),
  ev(100, 'administered', 'bedside:P1', { toState: 'administered' }),
];

describe('dose locations', () => {
  it('reads every place of the grammar, and a bare ward id of older events as the ward room', () => {
    expect(parseLocation('robot:R1:C3')).toEqual({ kind: 'robot', key: 'robot:R1:C3', id: 'R1/C3' });
    expect(parseLocation(locationKey.robotCompartment('site:R1', 'C3'))).toMatchObject({ id: 'site:R1/C3' });
    expect(parseLocation(locationKey.fridge('F'))).toEqual({ kind: 'storage', key: 'storage:F', id: 'F' });
    expect(parseLocation(locationKey.cabinetDrawer('CAB', 'D2'))).toMatchObject({ kind: 'cabinet', id: 'CAB/D2' });
    expect(parseLocation('courier:li.na')).toMatchObject({ kind: 'courier', id: 'li.na' });
    expect(parseLocation('pharmacy')).toMatchObject({ kind: 'pharmacy', id: null });
    expect(parseLocation('lost')).toMatchObject({ kind: 'lost' });
    expect(parseLocation('W-CARD')).toEqual({ kind: 'ward', key: 'ward:W-CARD', id: 'W-CARD' });
    expect(parseLocation(null)).toBeNull();
  });

  it('turns custody events into one interval per stay: the stock before the pick open at the start, the last one ended by administration', () => {
    const h = locationHistory(trip());
    expect(h.map((i) => [i.location.key, i.from && (Date.parse(i.from) - T0) / 60_000, i.to && (Date.parse(i.to) - T0) / 60_000, i.refrigerated])).toEqual([
      ['storage:F', null, 0, true],
      ['pharmacy', 0, 10, false],
      ['robot:R1:C3', 10, 40, true],
      ['storage:W', 40, 100, true],
      ['bedside:P1', 100, 100, false],
    ]);
  });

  it('finds a dose inside a storage when its stay overlaps the window, and only then', () => {
    const h = locationHistory(trip());
    // F: in stock there before the pick, for ever back
    expect(wasAt(h, 'storage:F', ms(-600), ms(-500))).toBe(true);
    expect(wasAt(h, 'storage:F', ms(1), ms(50))).toBe(false);
    // the compartment from load to receipt
    expect(wasAt(h, 'robot:R1:C3', ms(20), ms(25))).toBe(true);
    expect(wasAt(h, 'robot:R1:C3', ms(41), ms(90))).toBe(false);
    expect(wasAt(h, 'robot:R1:', ms(20), ms(25))).toBe(true);
    // W after receipt, and not after the dose was given
    expect(wasAt(h, 'storage:W', ms(60), Number.POSITIVE_INFINITY)).toBe(true);
    expect(wasAt(h, 'storage:W', ms(101), Number.POSITIVE_INFINITY)).toBe(false);
    // a key is exact: storage:F is not storage:F10
    expect(wasAt(h, 'storage:F1', ms(-600), ms(500))).toBe(false);
  });

  it('an unrefrigerated compartment or the ward room counts as out of the cold, an open stay up to now', () => {
    const events = [
      ev(0, 'taken_from_storage', 'storage:F', { evidence: { inStock: true } }),
      ev(0, 'picked', 'pharmacy'),
      ev(10, 'loaded', 'robot:R1:C1', { evidence: { refrigerated: false } }),
      ev(30, 'received', 'ward:W-CARD'),
    ];
    const h = locationHistory(events);
    expect(minutesOutOfRefrigeration(h, at(45))).toBe(45);
    expect(minutesOutOfRefrigeration(locationHistory(trip()), at(200))).toBe(10);
    // a pharmacist's release after review starts the count again
    expect(minutesOutOfRefrigeration(h, at(45), at(40))).toBe(5);
  });

  it('a refusal or audit on the dose (no state) moves it nowhere', () => {
    const h = locationHistory([ev(0, 'received', 'storage:W', { toState: 'received' }), ev(5, 'administration_blocked', 'W-CARD', { toState: null })]);
    expect(h.map((i) => [i.location.key, i.to])).toEqual([['storage:W', null]]);
  });

  it('a repeated location is one stay; consumed doses end their last one', () => {
    const h = locationHistory([ev(0, 'picked', 'pharmacy'), ev(3, 'checked', 'pharmacy'), ev(9, 'wasted', 'pharmacy', { toState: 'wasted' })]);
    expect(h).toHaveLength(1);
    expect(h[0]!.to).toBe(at(9).toISOString());
    expect(overlaps({ from: null, to: null }, 0, 1)).toBe(true);
  });
});
