/**
 * The live socket.io gateway end to end: real server, real socket.io clients. Authentication
 * in the handshake, ward rooms and who may join them, validation of every message, snapshot
 * then numbered deltas, resume after a reconnect (replay or fresh snapshot), per-client
 * position coalescing, and a stalled client that must not hold anyone else up.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import {
  deviceTopic,
  LIVE_NAMESPACE,
  LiveMirror,
  type LiveDelta,
  type LiveError,
  type LivePositionSample,
  type LiveResumed,
  type LiveRoom,
  type LiveSnapshot,
} from '#contracts';
import { connectMqtt, waitFor } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { AlarmsService, type AlarmView } from '../src/alarms/alarms.service.js';
import { EventBus } from '../src/common/events.js';
import { RobotStateService } from '../src/fleet/robot-state.service.js';
import { LiveHub } from '../src/live/live-hub.service.js';

interface Client {
  socket: Socket;
  snapshots: LiveSnapshot[];
  deltas: LiveDelta[];
  /** `deltas` frames received (each one socket.io message) */
  frames: number;
  resumed: LiveResumed[];
  errors: LiveError[];
  positions: { at: number; sample: LivePositionSample }[];
  mirrors: Map<LiveRoom, LiveMirror>;
}

/** a sensor's reading reaches rooms at most this often (the default, 60 s, would make the spec slow) */
const SENSOR_INTERVAL_MS = 300;

describe('live gateway (socket.io)', () => {
  let t: TestApp;
  let alarms: AlarmsService;
  let bus: EventBus;
  let hub: LiveHub;
  const open: Socket[] = [];
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({
      LIVE_POSITION_HZ: '4',
      LIVE_REPLAY_BUFFER: '20',
      LIVE_CLIENT_MAX_BUFFER: '50',
      LIVE_BATCH_MS: '1',
      LIVE_SENSOR_INTERVAL_MS: String(SENSOR_INTERVAL_MS),
    });
    alarms = t.cp.app.get(AlarmsService);
    bus = t.cp.app.get(EventBus);
    hub = t.cp.app.get(LiveHub);
  });

  afterAll(async () => {
    for (const s of open) s.disconnect();
    await t?.close();
  });

  function connect(token: string | null, opts: { auth?: Record<string, unknown> } = {}): Client {
    const socket = io(`${t.baseUrl}${LIVE_NAMESPACE}`, {
      auth: opts.auth ?? (token === null ? {} : { token }),
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    open.push(socket);
    const c: Client = { socket, snapshots: [], deltas: [], frames: 0, resumed: [], errors: [], positions: [], mirrors: new Map() };
    socket.on('snapshot', (s: LiveSnapshot) => {
      c.snapshots.push(s);
      c.mirrors.get(s.room)?.applySnapshot(s);
    });
    socket.on('resumed', (r: LiveResumed) => c.resumed.push(r));
    socket.on('deltas', (batch: LiveDelta[]) => {
      c.frames++;
      for (const d of batch) {
        c.deltas.push(d);
        const m = c.mirrors.get(d.room);
        if (m && m.apply(d) === 'gap') throw new Error(`gap in ${d.room} at ${d.seq} (mirror at ${m.seq})`);
      }
    });
    socket.on('error', (e: LiveError) => c.errors.push(e));
    socket.on('positions', (samples: LivePositionSample[]) => {
      for (const p of samples) c.positions.push({ at: Date.now(), sample: p });
    });
    return c;
  }

  const connected = (c: Client) =>
    new Promise<void>((resolve, reject) => {
      if (c.socket.connected) return resolve();
      c.socket.once('connect', () => resolve());
      c.socket.once('connect_error', reject);
    });

  async function join(c: Client, room: LiveRoom, resume?: { epoch: string; seq: number }): Promise<void> {
    await connected(c);
    if (!c.mirrors.has(room)) c.mirrors.set(room, new LiveMirror(room));
    const before = c.snapshots.length + c.resumed.length;
    c.socket.emit('subscribe', { room, ...(resume ? { resume } : {}) });
    await waitFor(() => c.snapshots.length + c.resumed.length > before || c.errors.length > 0, 5000, `joined ${room}`);
  }

  function raise(ward: string | null, extra: Partial<{ key: string; message: string }> = {}): Promise<AlarmView> {
    const key = extra.key ?? `test.alarm:${++seq}`;
    return alarms.raise({
      type: 'sensor.tamper',
      subject: key,
      ward,
      sourceKind: 'test',
      sourceId: key,
      params: { sensor: 'test sensor', detail: extra.message ?? `test alarm ${seq}` },
    });
  }

  async function metric(line: RegExp): Promise<number> {
    const text = (await t.api('GET', '/metrics')).text;
    const m = text.split('\n').find((l) => line.test(l));
    return m ? Number(m.split(' ').pop()) : 0;
  }

  it('refuses a handshake without a token or with a bad one, naming why', async () => {
    const none = connect(null);
    const err1 = await connected(none).then(
      () => null,
      (e: Error & { data?: { code: string; field?: string } }) => e,
    );
    expect(err1?.data).toEqual({ code: 'invalid_handshake', field: 'auth.token' });
    expect(err1?.message).toMatch(/auth\.token/);

    const bad = connect('not-a-jwt');
    const err2 = await connected(bad).then(
      () => null,
      (e: Error & { data?: { code: string } }) => e,
    );
    expect(err2?.data?.code).toBe('invalid_token');
    expect(await metric(/^medloop_ws_refused_connections_total\{reason="invalid_token"\}/)).toBeGreaterThanOrEqual(1);
  });

  it('lets a nurse join her ward and refuses other wards and the site view with an error event', async () => {
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const c = connect(nurse.token);
    await join(c, 'ward:W-CARD');
    expect(c.errors).toEqual([]);
    expect(c.snapshots[0]).toMatchObject({ room: 'ward:W-CARD', epoch: hub.epoch, seq: expect.any(Number) });

    await join(c, 'ward:W-SURG');
    expect(c.errors.pop()).toEqual({ code: 'ward_forbidden', message: "not assigned to ward 'W-SURG'", event: 'subscribe', room: 'ward:W-SURG' });
    await join(c, 'site');
    expect(c.errors.pop()).toMatchObject({ code: 'room_forbidden', room: 'site' });
    await join(c, 'ward:W-NOWHERE');
    expect(c.errors.pop()).toMatchObject({ code: 'ward_not_found', room: 'ward:W-NOWHERE' });
    expect(c.snapshots).toHaveLength(1);
  });

  it('answers a malformed or unknown message with an error naming the field, and counts it', async () => {
    const ph = await t.userToken('pharmacist');
    const c = connect(ph.token);
    await connected(c);
    const before = await metric(/^medloop_rejected_inputs_total\{channel="ws",family="subscribe",reason="schema"\}/);
    c.socket.emit('subscribe', { room: 'ward:W-CARD', resume: { epoch: 'x', seq: -1 } });
    c.socket.emit('subscribe', { room: 42 });
    c.socket.emit('subscribe', { room: 'site', extra: true });
    await waitFor(() => c.errors.length >= 3, 5000, 'three errors');
    c.socket.emit('teleport', { to: 'W-CARD' });
    await waitFor(() => c.errors.length >= 4, 5000, 'four errors');
    expect(c.errors.map((e) => [e.code, e.field ?? null])).toEqual([
      ['invalid_message', 'resume.seq'],
      ['invalid_message', 'room'],
      ['invalid_message', 'extra'],
      ['unknown_event', null],
    ]);
    expect(c.errors[2]!.message).toMatch(/extra/);
    expect(c.snapshots).toHaveLength(0);
    const after = await metric(/^medloop_rejected_inputs_total\{channel="ws",family="subscribe",reason="schema"\}/);
    expect(after - before).toBe(3);
    expect(await metric(/^medloop_rejected_inputs_total\{channel="ws",family="unknown",reason="unknown_event"\}/)).toBeGreaterThanOrEqual(1);
  });

  it('sends a snapshot, then numbered deltas for the room only; the site view sees every ward', async () => {
    const card = await raise('W-CARD');
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const surgNurse = await t.userToken('nurse', ['W-SURG']);
    const ph = await t.userToken('ward_pharmacist');
    const a = connect(nurse.token);
    const b = connect(surgNurse.token);
    const p = connect(ph.token);
    await join(a, 'ward:W-CARD');
    await join(b, 'ward:W-SURG');
    await join(p, 'site');
    const snap = a.snapshots[0]!;
    expect(snap.alarms.map((x) => x.id)).toContain(card.id);
    expect(b.snapshots[0]!.alarms.map((x) => x.id)).not.toContain(card.id);

    const second = await raise('W-CARD');
    await alarms.acknowledge(second.id, { id: nurse.id, username: nurse.username, role: 'nurse', wards: ['W-CARD'] });
    await alarms.clear(second.key, 'test over');
    await raise('W-SURG');
    await waitFor(() => a.deltas.length >= 3 && b.deltas.length >= 1 && p.deltas.length >= 4, 5000, 'deltas');
    // consecutive seqs from the snapshot's, in order of what happened
    expect(a.deltas.map((d) => d.seq)).toEqual([snap.seq + 1, snap.seq + 2, snap.seq + 3]);
    expect(a.deltas.map((d) => d.event.type === 'alarm' && d.event.data.change)).toEqual(['raised', 'acknowledged', 'cleared']);
    expect(a.deltas.every((d) => d.event.type === 'alarm' && d.event.data.alarm.ward === 'W-CARD')).toBe(true);
    expect(b.deltas.map((d) => d.event.type === 'alarm' && d.event.data.alarm.ward)).toEqual(['W-SURG']);
    const mirror = a.mirrors.get('ward:W-CARD')!;
    expect([...mirror.alarms.keys()]).toContain(card.id);
    expect([...mirror.alarms.keys()]).not.toContain(second.id);
    // nothing from W-CARD reached the W-SURG nurse, everything reached the site view
    expect(p.deltas.filter((d) => d.event.type === 'alarm').length).toBeGreaterThanOrEqual(4);
  });

  it("shows a real sensor's readings live on its ward's station only, at most once per interval, newest wins, unchanged values not resent", async () => {
    const nurse = await t.userToken('nurse', ['W-ONC']);
    const c = connect(nurse.token);
    await join(c, 'ward:W-ONC');
    const other = await t.userToken('nurse', ['W-PAED']);
    const o = connect(other.token);
    await join(o, 'ward:W-PAED');
    const reg = await t.registerDevice({ kind: 'sensor', name: 'Onc fridge (live)', ward: 'W-ONC', location: 'med room' });
    const id = reg.device.id;
    const sensor = await connectMqtt(t.mqttUrl, { username: id, password: reg.credentials.password });
    try {
      const base = Date.now();
      const telemetry = (seq: number, temperatureC: number) =>
        sensor.publishAsync(
          deviceTopic('sensor', id, 'telemetry'),
          JSON.stringify({ v: 1, deviceId: id, seq, ts: new Date(base + seq).toISOString(), readings: [{ channel: 'main', temperatureC }] }),
          { qos: 1 },
        );
      const batches = (x: typeof c) =>
        x.deltas
          .flatMap((d) => (d.event.type === 'sensor.readings' ? [d.event.data.readings.filter((r) => r.deviceId === id)] : []))
          .filter((r) => r.length > 0);
      await telemetry(1, 4.2);
      await waitFor(() => batches(c).length >= 1, 5000, 'first reading live');
      expect(batches(c)[0]).toEqual([
        { deviceId: id, name: 'Onc fridge (live)', ward: 'W-ONC', at: new Date(base + 1).toISOString(), values: { 'main.temperatureC': 4.2 } },
      ]);
      // a burst within the interval: held back, then only the newest goes out
      for (let seq = 2; seq <= 6; seq++) await telemetry(seq, 4 + seq / 10);
      await waitFor(() => batches(c).length >= 2, 5000, 'the burst');
      expect(batches(c)[1]!.map((r) => r.values)).toEqual([{ 'main.temperatureC': 4.6 }]);
      // the same value again (to one decimal) is no news
      await telemetry(7, 4.61);
      await new Promise((r) => setTimeout(r, SENSOR_INTERVAL_MS * 4));
      expect(batches(c)).toHaveLength(2);
      // a station that joins now finds the newest reading in its snapshot
      const late = connect(nurse.token);
      await join(late, 'ward:W-ONC');
      expect(late.snapshots[0]!.sensors.find((r) => r.deviceId === id)?.values).toEqual({ 'main.temperatureC': 4.61 });
      // another ward's station never hears this ward's sensor
      expect(batches(o)).toHaveLength(0);
    } finally {
      await sensor.endAsync(true);
    }
  });

  it("tells a ward's stations when its devices come online and go offline, by the device's ward", async () => {
    const nurse = await t.userToken('nurse', ['W-PAED']);
    const c = connect(nurse.token);
    await join(c, 'ward:W-PAED');
    const paed = await Promise.all([1, 2, 3].map((i) => t.registerDevice({ kind: 'sensor', name: `Paed fridge ${i}`, ward: 'W-PAED', location: 'room' })));
    const other = await t.registerDevice({ kind: 'sensor', name: 'Onc fridge', ward: 'W-ONC', location: 'room' });
    const clients = await Promise.all(
      [...paed, other].map((d) => connectMqtt(t.mqttUrl, { username: d.device.id, password: d.credentials.password, clientId: d.device.id })),
    );
    const presence = () => c.deltas.flatMap((d) => (d.event.type === 'device' ? [d.event.data] : []));
    await waitFor(() => presence().filter((p) => p.online).length >= 3, 5000, 'three online');
    await Promise.all(clients.map((m) => m.endAsync(true)));
    await waitFor(() => presence().filter((p) => !p.online).length >= 3, 5000, 'three offline');
    await new Promise((r) => setTimeout(r, 100));
    const ids = paed.map((d) => d.device.id).sort();
    const seen = presence();
    expect(seen.every((p) => p.ward === 'W-PAED' && p.kind === 'sensor')).toBe(true);
    expect(
      seen
        .filter((p) => p.online)
        .map((p) => p.deviceId)
        .sort(),
    ).toEqual(ids);
    expect(
      seen
        .filter((p) => !p.online)
        .map((p) => p.deviceId)
        .sort(),
    ).toEqual(ids);
    expect(seen.some((p) => p.deviceId === other.device.id)).toBe(false);
  });

  it('does not tell stations a device went offline while it is still connected on another session', async () => {
    const nurse = await t.userToken('nurse', ['W-PAED']);
    const c = connect(nurse.token);
    await join(c, 'ward:W-PAED');
    const d = await t.registerDevice({ kind: 'sensor', name: 'Paed fridge (two links)', ward: 'W-PAED', location: 'room' });
    const link = (clientId: string) => connectMqtt(t.mqttUrl, { username: d.device.id, password: d.credentials.password, clientId });
    const presence = () => c.deltas.flatMap((x) => (x.event.type === 'device' && x.event.data.deviceId === d.device.id ? [x.event.data] : []));
    const first = await link(`${d.device.id}-a`);
    const second = await link(`${d.device.id}-b`);
    await waitFor(() => presence().filter((p) => p.online).length >= 2, 5000, 'both sessions online');
    await first.endAsync(true);
    // the second session's end is the device's: its offline delta is the first one a station sees
    await second.endAsync(true);
    await waitFor(() => presence().some((p) => !p.online), 5000, 'offline');
    await new Promise((r) => setTimeout(r, 100));
    expect(presence().map((p) => p.online)).toEqual([true, true, false]);
  });

  it('sends what a room produced in one tick as one frame per client (split every 64 deltas), in seq order', async () => {
    const nurse = await t.userToken('nurse', ['W-SURG']);
    const c = connect(nurse.token);
    await join(c, 'ward:W-SURG');
    const framesBefore = c.frames;
    const N = 150;
    for (let i = 0; i < N; i++) bus.emit('custody.order_changed', { orderId: `burst-${i}`, status: 'verified', ward: 'W-SURG' });
    await waitFor(() => c.deltas.length >= N, 5000, 'burst delivered');
    const burst = c.deltas.slice(-N);
    expect(burst.map((d) => (d.event.type === 'custody.order_changed' ? d.event.data.orderId : null))).toEqual([...Array(N).keys()].map((i) => `burst-${i}`));
    const seqs = burst.map((d) => d.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    // 150 deltas from one synchronous burst: three frames (64 + 64 + 22), not 150 messages
    expect(c.frames - framesBefore).toBe(3);
    expect(await metric(/^medloop_ws_messages_out_total\{kind="frame"\}/)).toBeGreaterThan(0);
  });

  it('resumes after a reconnect from the last seq, or sends a fresh snapshot when too far behind or after a restart', async () => {
    const nurse = await t.userToken('nurse', ['W-PAED']);
    const first = connect(nurse.token);
    await join(first, 'ward:W-PAED');
    await raise('W-PAED');
    await waitFor(() => first.deltas.length === 1, 5000, 'first delta');
    const mirror = first.mirrors.get('ward:W-PAED')!;
    const point = mirror.resumeFrom()!;
    first.socket.disconnect();

    // three missed events: replayed from the ring, no snapshot
    const missed = [await raise('W-PAED'), await raise('W-PAED'), await raise('W-PAED')];
    const second = connect(nurse.token);
    second.mirrors.set('ward:W-PAED', mirror);
    await join(second, 'ward:W-PAED', point);
    await waitFor(() => second.deltas.length === 3, 5000, 'replayed deltas');
    expect(second.snapshots).toHaveLength(0);
    expect(second.resumed).toEqual([{ room: 'ward:W-PAED', epoch: point.epoch, fromSeq: point.seq, seq: point.seq + 3 }]);
    expect(second.deltas.map((d) => d.seq)).toEqual([point.seq + 1, point.seq + 2, point.seq + 3]);
    for (const a of missed) expect(mirror.alarms.has(a.id)).toBe(true);
    const point2 = mirror.resumeFrom()!;
    second.socket.disconnect();

    // more missed than the ring holds (LIVE_REPLAY_BUFFER=20): a fresh snapshot instead
    for (let i = 0; i < 25; i++) await raise('W-PAED');
    const third = connect(nurse.token);
    third.mirrors.set('ward:W-PAED', mirror);
    await join(third, 'ward:W-PAED', point2);
    expect(third.resumed).toHaveLength(0);
    expect(third.snapshots).toHaveLength(1);
    expect(third.snapshots[0]!.seq).toBe(point2.seq + 25);
    expect(mirror.alarms.size).toBe(third.snapshots[0]!.alarms.length);

    // a point from another epoch (the server restarted) also gets a snapshot
    const fourth = connect(nurse.token);
    await join(fourth, 'ward:W-PAED', { epoch: 'old-epoch', seq: 3 });
    expect(fourth.snapshots).toHaveLength(1);
  });

  it('coalesces a robot reporting at 100 Hz to LIVE_POSITION_HZ per client, latest position last', async () => {
    const reg = await t.registerDevice({ kind: 'robot', name: 'Fast robot', manufacturer: 'MedLoop', serialNumber: 'LIVE-FAST' });
    const id = { deviceId: reg.device.id as string, interfaceName: 'uagv', manufacturer: 'MedLoop', serialNumber: 'LIVE-FAST' };
    const robots = t.cp.app.get(RobotStateService);
    const nurse = await t.userToken('nurse', ['W-CARD']);
    const surg = await t.userToken('nurse', ['W-PAED']);
    const c = connect(nurse.token);
    const other = connect(surg.token);
    await join(c, 'ward:W-CARD');
    await join(other, 'ward:W-PAED');
    const started = Date.now();
    let headerId = 0;
    for (let i = 0; i < 150; i++) {
      robots.applyVisualization(id, {
        headerId: ++headerId,
        timestamp: new Date(started + i).toISOString(),
        version: '2.0.0',
        manufacturer: 'MedLoop',
        serialNumber: 'LIVE-FAST',
        agvPosition: { x: 10 + i * 0.1, y: 20, theta: 0, mapId: 'F1', positionInitialized: true },
      });
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 400));
    const mine = c.positions.filter((p) => p.sample.robotId === id.deviceId);
    // 4 Hz over the run, plus the first sample sent at once and the last one flushed after
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.length).toBeLessThanOrEqual(Math.ceil(elapsed * 4) + 2);
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.at - mine[i - 1]!.at).toBeGreaterThanOrEqual(200);
    expect(mine.at(-1)!.sample.position.x).toBeCloseTo(10 + 149 * 0.1, 5);
    // the robot joined the room as a sequenced event before its positions
    expect(c.deltas.some((d) => d.event.type === 'robot' && d.event.data.id === id.deviceId)).toBe(true);
    expect(c.mirrors.get('ward:W-CARD')!.robots.get(id.deviceId)?.position?.mapId).toBe('F1');
    // a robot on another floor is not the paediatrics nurse's business
    expect(other.positions.filter((p) => p.sample.robotId === id.deviceId)).toEqual([]);
    expect(await metric(/^medloop_ws_dropped_total\{kind="position",reason="coalesced"\}/)).toBeGreaterThan(100);
  }, 30_000);

  it('holds back deltas from a stalled client without slowing the others, then brings it up to date', async () => {
    const ph = await t.userToken('pharmacist');
    const slow = connect(ph.token);
    const fast = connect(ph.token);
    await join(slow, 'site');
    await join(fast, 'site');
    // stop reading the slow client's TCP socket: the server's writes to it back up
    const tcp = (slow.socket.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket;
    tcp.pause();
    const fastBefore = fast.deltas.length;
    const big = 'x'.repeat(8_000);
    const N = 4_000;
    const started = Date.now();
    for (let i = 0; i < N; i++) {
      // a steady stream a healthy client keeps up with (a burst larger than one client buffer
      // in a single tick would, by design, send every client through a catch-up)
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      bus.emit('alarm.changed', {
        change: 'repeated',
        alarm: {
          id: '00000000-0000-4000-8000-000000000001',
          key: 'flood',
          type: 'test.flood',
          severity: 'info',
          state: 'raised',
          ward: 'W-CARD',
          source: { kind: 'test', id: 'flood' },
          title: 'flood',
          message: `flood ${i}`,
          details: { big },
          occurrences: i + 1,
          raisedAt: new Date().toISOString(),
          lastRaisedAt: new Date().toISOString(),
          acknowledged: null,
          cleared: null,
          clears: null,
          acknowledgeRoles: null,
          resolution: null,
          escalationLevel: 0,
        },
      });
    }
    await waitFor(() => fast.deltas.length - fastBefore >= N, 20_000, 'fast client got every delta');
    // the fast client was never held back behind the stalled one
    expect(fast.snapshots).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const slowClient = hub.client(slow.socket.id!)!;
    const membership = slowClient.rooms.get('site')!;
    expect(membership.lagging).toBe(true);
    // its queue stayed bounded (LIVE_CLIENT_MAX_BUFFER=50 frames); engine.io's own heartbeat
    // packets queue there too while the transport is stalled (a ping landed in a slow run: 51)
    const writeBuffer = (slowClient.socket.conn as unknown as { writeBuffer: { type: string }[] }).writeBuffer;
    const queued = writeBuffer.filter((p) => p.type === 'message').length;
    expect(queued).toBeLessThanOrEqual(50);
    expect(await metric(/^medloop_ws_dropped_total\{kind="delta",reason="lagging"\}/)).toBeGreaterThan(N / 10);

    // reading again: it drains, is brought up to date, and its mirror matches the room
    tcp.resume();
    const room = hub.seqOf('site');
    await waitFor(() => slow.mirrors.get('site')!.seq >= room, 20_000, 'slow client caught up');
    expect(slow.snapshots.length + slow.resumed.length).toBeGreaterThanOrEqual(2);
    expect(membership.lagging).toBe(false);
  }, 60_000);
});
