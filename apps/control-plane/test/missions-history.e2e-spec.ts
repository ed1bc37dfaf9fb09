/**
 * Mission history under concurrent saves, on the real database (SQLite, or PostgreSQL when
 * TEST_DATABASE_URL is set): the dispatcher's clock and a robot's state handler can save the
 * same mission at once, and every event must be kept, numbered without gaps or repeats.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MissionsRepository, newQueuedMission } from '#persistence';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('mission history', () => {
  let t: TestApp;
  let missions: MissionsRepository;

  beforeAll(async () => {
    t = await startTestApp();
    missions = t.cp.app.get(MissionsRepository);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('keeps every event of concurrent saves of one mission, numbered 1..n', async () => {
    const m = newQueuedMission({
      kind: 'transport',
      priority: 'routine',
      stops: [{ nodeId: 'F1-CARD-STATION', actions: [] }],
      requiredRobotId: null,
      cargo: null,
      createdBy: null,
    });
    await missions.save(m, 'created');
    // the mission itself unchanged, as when an order is resent: only events are added
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => missions.save(m, 'order_resent', { attempt: i + 2 })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const history = await missions.history(m.id);
    expect(history.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(history.filter((e) => e.event === 'order_resent')).toHaveLength(12);
  });
});
