/**
 * Queued missions live: a mission queued after boot that no robot can take shows up on the
 * stations at once, with why it waits, and one cancelled while still queued is seen cancelled,
 * both in deltas and in any fresh snapshot. Real server, real socket.io clients; everything
 * happens over the HTTP API (nothing is emitted on the bus by the test).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { LIVE_NAMESPACE, LiveMirror, type LiveDelta, type LiveMission, type LiveRoom, type LiveSnapshot } from '#contracts';
import { waitFor } from '#testing';
import { MissionsRepository } from '#persistence';
import { startTestApp, type TestApp } from './support/test-app.js';
import { MissionLifecycle } from '../src/fleet/mission-lifecycle.js';

interface Client {
  socket: Socket;
  snapshots: LiveSnapshot[];
  deltas: LiveDelta[];
  mirror: LiveMirror;
}

describe('queued missions on the live stations', () => {
  let t: TestApp;
  const open: Socket[] = [];

  beforeAll(async () => {
    // no robot is registered: every mission stays queued, waiting for one
    t = await startTestApp({ DISPATCH_INTERVAL_MS: '100', LIVE_BATCH_MS: '1' });
  });

  afterAll(async () => {
    for (const s of open) s.disconnect();
    await t?.close();
  });

  async function subscribe(token: string, room: LiveRoom): Promise<Client> {
    const socket = io(`${t.baseUrl}${LIVE_NAMESPACE}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    open.push(socket);
    const c: Client = { socket, snapshots: [], deltas: [], mirror: new LiveMirror(room) };
    socket.on('snapshot', (s: LiveSnapshot) => {
      c.snapshots.push(s);
      c.mirror.applySnapshot(s);
    });
    socket.on('deltas', (batch: LiveDelta[]) => {
      for (const d of batch) {
        c.deltas.push(d);
        if (c.mirror.apply(d) === 'gap') throw new Error(`gap in ${d.room} at ${d.seq}`);
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    socket.emit('subscribe', { room });
    await waitFor(() => c.snapshots.length > 0, 5000, `snapshot of ${room}`);
    return c;
  }

  const missionDeltas = (c: Client, id: string): LiveMission[] =>
    c.deltas.flatMap((d) => (d.event.type === 'mission' && d.event.data.id === id ? [d.event.data] : []));

  it('shows a mission queued after boot with its waiting reason, and its cancellation while queued', async () => {
    const ph = await t.userToken('pharmacist');
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const site = await subscribe(ph.token, 'site');
    const ward = await subscribe(nurse.token, 'ward:W-CARD');

    const created = await t.api('POST', '/api/missions', {
      token: ph.token,
      body: {
        priority: 'urgent',
        stops: [
          { nodeId: 'F0-PHARMACY-DOCK', actions: [] },
          { nodeId: 'F1-CARD-STATION', actions: [{ kind: 'drop' }] },
        ],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    // the site view and the ward the mission serves both see it queued, then why it waits
    for (const c of [site, ward]) {
      const waiting = await waitFor(
        () => missionDeltas(c, id).find((m) => m.status === 'queued' && m.waitingReason !== null),
        5000,
        `queued mission with a waiting reason in ${c.mirror.room}`,
      );
      expect(waiting.waitingReason).toMatch(/^no_robot_online: /);
      expect(waiting.wards).toContain('W-CARD');
      expect(c.mirror.missions.get(id)).toMatchObject({ status: 'queued', waitingReason: waiting.waitingReason });
    }
    // the reason is announced when it changes, not every dispatch round
    await new Promise((r) => setTimeout(r, 500));
    expect(missionDeltas(site, id).filter((m) => m.waitingReason !== null)).toHaveLength(1);

    // a station that joins now finds it in its snapshot, with its reason
    const late = await subscribe(ph.token, 'site');
    expect(late.snapshots[0]!.missions.find((m) => m.id === id)).toMatchObject({ status: 'queued', waitingReason: expect.stringMatching(/^no_robot_online/) });
    const lateWard = await subscribe(nurse.token, 'ward:W-CARD');
    expect(lateWard.snapshots[0]!.missions.find((m) => m.id === id)).toMatchObject({ status: 'queued', waitingReason: expect.any(String) });

    const cancelled = await t.api('POST', `/api/missions/${id}/cancel`, { token: ph.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', waitingReason: null });

    for (const c of [site, ward, late]) {
      const last = await waitFor(() => missionDeltas(c, id).find((m) => m.status === 'cancelled'), 5000, `cancelled mission in ${c.mirror.room}`);
      expect(last.waitingReason).toBeNull();
      expect(c.mirror.missions.get(id)?.status).toBe('cancelled');
    }

    // and a fresh snapshot no longer shows it as queued
    for (const [token, room] of [
      [ph.token, 'site'],
      [nurse.token, 'ward:W-CARD'],
    ] as const) {
      const fresh = await subscribe(token, room);
      const seen = fresh.snapshots[0]!.missions.find((m) => m.id === id);
      expect(seen?.status ?? 'gone').not.toBe('queued');
      expect(seen?.waitingReason ?? null).toBeNull();
    }
    const after = await t.api('GET', `/api/missions/${id}`, { token: ph.token });
    expect(after.body.history.map((h: { event: string }) => h.event)).toEqual(['created', 'cancelled']);
  });

  it('refuses a stale move of a mission another move got to first (a cancel wins over an assignment read before it)', async () => {
    const ph = await t.userToken('pharmacist');
    const created = await t.api('POST', '/api/missions', {
      token: ph.token,
      body: { priority: 'routine', stops: [{ nodeId: 'F1-CARD-STATION', actions: [] }] },
    });
    const id = created.body.id as string;
    const repo = t.cp.app.get(MissionsRepository);
    const lifecycle = t.cp.app.get(MissionLifecycle);
    // a dispatch round read the mission queued …
    const seenByRound = (await repo.findById(id))!;
    // … a pharmacist cancels it meanwhile …
    expect((await t.api('POST', `/api/missions/${id}/cancel`, { token: ph.token })).status).toBe(200);
    // … and the round's assignment, made from what it read, is refused and leaves nothing behind
    await expect(lifecycle.transition(seenByRound, 'assigned', 'assigned', { robotId: 'rbt-x' }, { robotId: 'rbt-x' })).rejects.toMatchObject({
      code: 'mission_changed',
    });
    expect(seenByRound).toMatchObject({ status: 'queued', robotId: null });
    const stored = (await t.api('GET', `/api/missions/${id}`, { token: ph.token })).body;
    expect(stored).toMatchObject({ status: 'cancelled', robotId: null });
    expect(stored.history.map((h: { event: string }) => h.event)).toEqual(['created', 'cancelled']);
  });
});
