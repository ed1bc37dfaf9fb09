/**
 * Revocation and rotation against a device session being opened (issue #16). Attacked from
 * outside, a session whose credential was revoked or rotated in the first milliseconds of its
 * life stayed connected and kept publishing: it was registered for "drop every session of this
 * device" only once it was ready, after its CONNACK. Each race is made deterministic here by
 * holding the connection at the point where the change lands (inside the credential check, and
 * between the authorisation and the CONNACK), and is run 100 times, revoke and rotate in turn.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { DevicesRepository } from '#persistence';
import { collect, waitFor } from '#testing';
import { MqttService } from '../../src/mqtt/mqtt.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { scrape } from './support.js';

const RUNS = 100;

type Outcome = { kind: 'refused'; code: number } | { kind: 'connected'; client: MqttClient } | { kind: 'closed' };

/** Opens a connection and says how it ended up: refused (CONNACK code), connected, or closed. */
function open(url: string, opts: IClientOptions): { client: MqttClient; outcome: Promise<Outcome> } {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  const outcome = new Promise<Outcome>((resolve) => {
    client.once('connect', () => resolve({ kind: 'connected', client }));
    client.once('error', (err) => {
      const code = (err as { code?: number }).code;
      resolve(typeof code === 'number' ? { kind: 'refused', code } : { kind: 'closed' });
    });
    client.once('close', () => resolve({ kind: 'closed' }));
  });
  return { client, outcome };
}

interface Gate {
  entered: Promise<void>;
  release(): void;
}

/** A one-shot gate: the first caller to pass `hold()` for `key` waits until released. */
function gate(): { arm(key: string): Gate; hold(key: string): Promise<void> } {
  let armed: { key: string; enter: () => void; released: Promise<void> } | null = null;
  return {
    arm(key) {
      let enter!: () => void;
      let release!: () => void;
      const entered = new Promise<void>((r) => (enter = r));
      const released = new Promise<void>((r) => (release = r));
      armed = { key, enter, released };
      return { entered, release };
    },
    async hold(key) {
      const a = armed;
      if (!a || a.key !== key) return;
      armed = null;
      a.enter();
      await a.released;
    },
  };
}

describe('reliability: device revocation and rotation cannot be outraced (#16)', () => {
  let t: TestApp;
  let serial = 0;
  const atCheck = gate();
  const beforeConnack = gate();
  const beforeQueue = gate();
  let monitor: MqttClient;
  let received: () => { topic: string; payload: Buffer }[];

  beforeAll(async () => {
    t = await startTestApp();
    // the credential check reads the device row, then waits here when armed: the change
    // commits after the read and before the answer
    const repo = t.cp.app.get(DevicesRepository);
    const findById = repo.findById.bind(repo);
    repo.findById = async (id: string) => {
      const row = await findById(id);
      await atCheck.hold(id);
      return row;
    };
    // aedes cleans a clean session's subscriptions after the authorisation and before the
    // CONNACK: armed, the connection waits there while the change commits
    const aedes = (t.cp.app.get(MqttService).broker as unknown as { aedes: { persistence: Record<string, (...a: unknown[]) => Promise<unknown>> } }).aedes;
    const clean = aedes.persistence['cleanSubscriptions']!.bind(aedes.persistence);
    aedes.persistence['cleanSubscriptions'] = async (client: unknown) => {
      const id = String((client as { id: string }).id);
      await beforeConnack.hold(id.slice(0, id.indexOf('\u0000')));
      return clean(client);
    };
    // a persistent session reads its subscriptions instead (then its queue is emptied, before
    // the CONNACK's clientReady): armed, the connection waits there
    const subsOf = aedes.persistence['subscriptionsByClient']!.bind(aedes.persistence);
    aedes.persistence['subscriptionsByClient'] = async (client: unknown) => {
      const id = String((client as { id: string }).id);
      await beforeQueue.hold(id.slice(0, id.indexOf('\u0000')));
      return subsOf(client);
    };
    const m = await t.registerDevice({
      kind: 'integration',
      name: 'Race monitor',
      acl: [{ effect: 'allow', action: 'subscribe', pattern: 'uagv/v2/Race/#' }],
    });
    monitor = mqtt.connect(t.mqttUrl, { reconnectPeriod: 0, username: m.credentials.username, password: m.credentials.password });
    await new Promise((resolve) => monitor.once('connect', resolve));
    const got = collect(monitor);
    received = () => got;
    await monitor.subscribeAsync('uagv/v2/Race/#', { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    await monitor?.endAsync(true);
    await t?.close();
  });

  const connection = (sn: string, state: 'ONLINE' | 'CONNECTIONBROKEN') =>
    JSON.stringify({ headerId: 1, timestamp: new Date().toISOString(), version: '2.0.0', manufacturer: 'Race', serialNumber: sn, connectionState: state });

  async function robot() {
    const sn = `R-${++serial}`;
    const r = await t.registerDevice({ kind: 'robot', name: sn, manufacturer: 'Race', serialNumber: sn });
    const opts: IClientOptions = {
      username: r.credentials.username,
      password: r.credentials.password,
      will: { topic: `uagv/v2/Race/${sn}/connection`, payload: Buffer.from(connection(sn, 'CONNECTIONBROKEN')), qos: 1, retain: false },
    };
    return { sn, id: r.device.id as string, opts };
  }

  const change = async (i: number, id: string) => {
    const r = await t.api('POST', `/api/devices/${id}/${i % 2 === 0 ? 'revoke' : 'credentials'}`, { token: t.adminToken });
    expect(r.status).toBeLessThan(300);
  };

  it(`refuses a session whose credential was revoked or rotated while it was being checked (${RUNS} of ${RUNS})`, async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await robot();
      const g = atCheck.arm(r.id);
      const { client, outcome } = open(t.mqttUrl, r.opts);
      await g.entered; // the check has read the credential as it was
      await change(i, r.id); // committed, and the broker told
      g.release();
      const o = await outcome;
      outcomes.push(o.kind === 'refused' ? `refused ${o.code}` : o.kind);
      client.end(true);
    }
    expect(outcomes.filter((o) => o !== 'refused 5')).toEqual([]);
  }, 120_000);

  it(`closes a session revoked or rotated between its authorisation and its CONNACK; it publishes nothing, its will is not sent (${RUNS} of ${RUNS})`, async () => {
    const survivors: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await robot();
      const g = beforeConnack.arm(r.id);
      const { client, outcome } = open(t.mqttUrl, r.opts);
      await g.entered; // authorised, CONNACK not yet sent
      await change(i, r.id);
      g.release();
      const o = await outcome;
      if (o.kind === 'connected') {
        // what a device does first: announce itself; it must reach no one
        client.publish(`uagv/v2/Race/${r.sn}/connection`, connection(r.sn, 'ONLINE'), { qos: 1 });
        await waitFor(() => !client.connected || undefined, 1000, `robot ${r.sn} closed`).catch(() => survivors.push(r.sn));
      }
      client.end(true);
    }
    expect(survivors).toEqual([]);
    // give a will or a late publish its chance to arrive
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received().map((m) => m.topic)).toEqual([]);
  }, 120_000);

  it('hands a persistent session raced past its authorisation none of its queued messages (10 of 10)', async () => {
    const sender = await t.registerDevice({
      kind: 'integration',
      name: 'Race sender',
      acl: [{ effect: 'allow', action: 'publish', pattern: 'uagv/v2/Race/+/instantActions' }],
    });
    const pub = mqtt.connect(t.mqttUrl, { reconnectPeriod: 0, username: sender.credentials.username, password: sender.credentials.password });
    await new Promise((resolve) => pub.once('connect', resolve));
    const leaks: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const r = await robot();
        const clientId = `race-persistent-${r.sn}`;
        const first = mqtt.connect(t.mqttUrl, { reconnectPeriod: 0, clean: false, clientId, username: r.opts.username, password: r.opts.password });
        await new Promise((resolve) => first.once('connect', resolve));
        await first.subscribeAsync(`uagv/v2/Race/${r.sn}/instantActions`, { qos: 1 });
        await first.endAsync();
        // queued for the offline session
        await pub.publishAsync(`uagv/v2/Race/${r.sn}/instantActions`, JSON.stringify({ queued: i }), { qos: 1 });
        const g = beforeQueue.arm(r.id);
        const again = mqtt.connect(t.mqttUrl, { reconnectPeriod: 0, clean: false, clientId, username: r.opts.username, password: r.opts.password });
        again.on('message', (topic) => leaks.push(topic));
        again.on('error', () => undefined);
        await g.entered; // authorised; its queue not yet emptied
        await change(i, r.id);
        g.release();
        await waitFor(() => !again.connected || undefined, 2000, `robot ${r.sn} closed`).catch(() => leaks.push(`${r.sn} still connected`));
        again.end(true);
      }
    } finally {
      await pub.endAsync(true);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    // refused before the CONNACK: restoring its subscriptions goes through authorizeSubscribe,
    // which refuses a dropped session (and authorizeForward would refuse the delivery too)
    expect(leaks).toEqual([]);
  }, 60_000);

  it('drops a live session revoked or rotated right at its CONNACK: closed within a second, no will, counted', async () => {
    const survivors: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await robot();
      const { client, outcome } = open(t.mqttUrl, r.opts);
      const o = await outcome;
      expect(o.kind).toBe('connected');
      await change(i, r.id);
      const sent = received().length;
      client.publish(`uagv/v2/Race/${r.sn}/connection`, connection(r.sn, 'ONLINE'), { qos: 1 });
      await waitFor(() => !client.connected || undefined, 1000, `robot ${r.sn} closed`).catch(() => survivors.push(r.sn));
      client.end(true);
      expect(received().length).toBe(sent);
    }
    expect(survivors).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received().filter((m) => JSON.parse(m.payload.toString()).connectionState === 'CONNECTIONBROKEN')).toEqual([]);
    expect(await scrape(t.baseUrl, /medloop_rejected_inputs_total\{channel="mqtt",family="[^"]*",reason="will_revoked"\}/)).toBeGreaterThan(0);
  }, 120_000);
});
