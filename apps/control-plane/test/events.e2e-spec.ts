/**
 * The event backbone's promise at run time: every domain event the routing table marks
 * internal has a listener in the running server (the compiler already holds every declared
 * event to a route, and every projected one to a handler).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from './support/test-app.js';
import { EventBus } from '../src/common/events.js';
import { INTERNAL_EVENTS } from '../src/live/live.routes.js';

describe('the event backbone', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('has a listener for every internal event', () => {
    const bus = t.cp.app.get(EventBus);
    expect(INTERNAL_EVENTS.length).toBeGreaterThan(0);
    const unheard = INTERNAL_EVENTS.filter((type) => bus.listenerCount(type) === 0);
    expect(unheard).toEqual([]);
  });
});
