/**
 * The routing table's promise is made by the compiler: these lines must fail to type-check
 * (`@ts-expect-error` turns a line that compiles into a type-check failure of this file), and
 * the runtime part (which events are internal) is checked below.
 */
import { describe, expect, it } from '@jest/globals';
import type { DomainEventType } from '#contracts';
import { INTERNAL_EVENTS, LIVE_ROUTES, type LiveRoute } from './live.routes.js';

type Table = { readonly [K in DomainEventType]: LiveRoute<K> };

describe('live routing table', () => {
  it('is exhaustive and exact over the domain event map (compile-time), and lists the internal events', () => {
    const { 'sensor.reading': _dropped, ...missing } = LIVE_ROUTES;
    // @ts-expect-error an event declared and not routed is a compile error
    const _incomplete: Table = missing;
    // @ts-expect-error a misspelled or undeclared event is a compile error
    const _misspelled: Table = { ...LIVE_ROUTES, 'sensor.updated': 'projected' } satisfies Table;
    // @ts-expect-error an event forwarded as a live type its payload does not fit is a compile error
    const _misfit: LiveRoute<'custody.dose_changed'> = { forward: 'sensor.readings' };
    // @ts-expect-error an event whose payload names no ward cannot be forwarded
    const _noWard: LiveRoute<'robot.state'> = { forward: 'robot' };
    expect([_incomplete, _misspelled, _misfit, _noWard].length).toBe(4);
    expect(INTERNAL_EVENTS).toContain('robot.state');
    expect(INTERNAL_EVENTS).not.toContain('custody.dose_changed');
    expect(INTERNAL_EVENTS.every((k) => typeof LIVE_ROUTES[k] === 'object' && 'internal' in LIVE_ROUTES[k])).toBe(true);
  });
});
