/**
 * Stalls: a database write that does not finish holds the dispatch loop (and, on SQLite, every
 * write queued behind it). Nothing crashes and robots still look fine, so /health must say so:
 * 503 naming the stalled dispatcher (and the stalled write queue on SQLite), and back to 200
 * with the held work completed once the database moves again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { MissionEntity, runWrite } from '#persistence';
import { waitForAsync } from '#testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { RobotSimulator } from '../../../../simulators/robot/index.js';
import { startRobot } from './support.js';

describe('stalls', () => {
  let t: TestApp;
  let sim: RobotSimulator | undefined;
  /** set while the database is held, so a failed test still lets it go before closing */
  let released: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    t = await startTestApp({ HEALTH_STALL_AFTER_MS: '400', DISPATCH_INTERVAL_MS: '100', ORDER_ACK_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await released?.();
    await sim?.stop().catch(() => undefined);
    await t?.close();
  });

  /** Holds the database the way a hung write would, until the returned function is called. */
  async function holdDatabase(ds: DataSource): Promise<() => Promise<void>> {
    if (ds.options.type === 'postgres') {
      // a transaction holding the missions table: the dispatcher's reads and writes wait on it
      const qr = ds.createQueryRunner();
      await qr.connect();
      await qr.startTransaction();
      await qr.query(`LOCK TABLE ${ds.getMetadata(MissionEntity).tablePath} IN ACCESS EXCLUSIVE MODE`);
      return async () => {
        await qr.rollbackTransaction();
        await qr.release();
      };
    }
    let open!: () => void;
    const held = runWrite(ds, () => new Promise<void>((r) => (open = r)));
    return async () => {
      open();
      await held;
    };
  }

  it('reports a stalled dispatcher (and write queue) with 503, and recovers with the held mission dispatched', async () => {
    const health = () => t.api('GET', '/health');
    const ok = await health();
    expect(ok.status).toBe(200);
    expect(ok.body.checks.dispatcher.status).toBe('up');
    const ds = t.cp.app.get(DataSource);
    const sqlite = ds.options.type === 'better-sqlite3';
    if (sqlite) expect(ok.body.checks.database.writeQueue).toEqual({ pending: 0, runningForMs: 0 });

    // a robot on emergency stop: the mission waits for it without the dispatcher writing
    const robot = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, 'STALL-1');
    sim = robot.sim;
    sim.faults.eStop('MANUAL');
    await waitForAsync(
      async () => (await t.api('GET', `/api/robots/${robot.id}`, { token: t.adminToken })).body.safety?.eStop === 'MANUAL',
      5000,
      'e-stop seen',
    );
    const created = await t.api('POST', '/api/missions', {
      token: t.adminToken,
      body: { stops: [{ nodeId: 'F1-CARD-STATION', actions: [] }], priority: 'urgent' },
    });
    expect(created.status).toBe(201);
    const mission = async () => (await t.api('GET', `/api/missions/${created.body.id}`, { token: t.adminToken })).body;
    expect((await mission()).status).toBe('queued');

    // the database stops taking writes; the e-stop is released, so the next round assigns the
    // mission and waits on its write
    const release = await holdDatabase(ds);
    released = release;
    sim.faults.eStop('NONE');
    // the dispatcher's pulse and the held write's age cross the limit within a round of each
    // other, in either order (its last round may have ended just before the hold, or another
    // write — a robot's state — may be the one held first), so wait for both
    const stalled = await waitForAsync(
      async () => {
        const r = await health();
        return r.status === 503 && r.body.checks.dispatcher.status === 'stalled' && (!sqlite || r.body.checks.database.status === 'stalled') ? r : null;
      },
      10_000,
      sqlite ? 'health 503 with the write queue stalled' : 'health 503',
    );
    expect(stalled.body.status).toBe('degraded');
    expect(stalled.body.checks.dispatcher.status).toBe('stalled');
    expect(stalled.body.checks.dispatcher.lastRoundAgoMs).toBeGreaterThan(400);
    expect(stalled.body.checks.dispatcher.roundRunningForMs).toBeGreaterThan(0);
    expect(stalled.body.checks.broker.status).toBe('up');
    if (sqlite) {
      expect(stalled.body.checks.database.status).toBe('stalled');
      expect(stalled.body.checks.database.writeQueue.pending).toBeGreaterThanOrEqual(2);
      expect(stalled.body.checks.database.error).toMatch(/a write has been running for \d+ ms/);
    }

    released = undefined;
    await release();
    await waitForAsync(async () => (await health()).status === 200, 10_000, 'health back to 200');
    await waitForAsync(async () => (await mission()).status === 'finished', 30_000, 'the held mission finished');
  }, 60_000);
});
