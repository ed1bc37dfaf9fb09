/**
 * Idempotency and ordering: QoS 1 redeliveries (DUP), replays of old messages and
 * out-of-order arrival never move state backwards nor duplicate anything — robot state and
 * mission progress (VDA 5050 headerId/timestamp), and ward-sensor telemetry (v1 seq header).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '#contracts';
import { connectMqtt, connectPacket, PacketType, publishPacket, RawMqttClient, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { runs, sleep, startRobot } from './support.js';

const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

describe('idempotency and ordering', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ORDER_ACK_TIMEOUT_MS: '400', DISPATCH_INTERVAL_MS: '150', ROBOT_OFFLINE_GRACE_MS: '20000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ignores replayed, duplicated (DUP) and reordered robot states: neither the robot nor its mission moves backwards', async () => {
    const robot = await startRobot(t.baseUrl, t.mqttUrl, t.adminToken, 'IDEM-1');
    const mon = await t.registerDevice({ kind: 'integration', name: 'idem monitor', acl: [{ effect: 'allow', action: 'subscribe', pattern: 'uagv/#' }] });
    const monitor: MqttClient = await connectMqtt(t.mqttUrl, { username: mon.credentials.username, password: mon.credentials.password });
    const states: Buffer[] = [];
    monitor.on('message', (topic, p) => topic.endsWith('/state') && states.push(p));
    await monitor.subscribeAsync('uagv/v2/MedLoop/IDEM-1/state', { qos: 0 });
    const m = await t.api('POST', '/api/missions', { token: t.adminToken, body: { stops: [{ nodeId: 'F1-CARD-STATION', actions: [] }], priority: 'urgent' } });
    const missionOf = async () => (await t.api('GET', `/api/missions/${m.body.id}`, { token: t.adminToken })).body;
    await waitForAsync(async () => (await missionOf()).status === 'finished', 30_000, 'mission finished');
    await sleep(300);
    await robot.sim.stop();
    await monitor.endAsync();
    const final = await missionOf();
    const view = async () => (await t.api('GET', `/api/robots/${robot.id}`, { token: t.adminToken })).body;
    const settled = await view();
    expect(states.length).toBeGreaterThan(5);

    // the robot's old messages come back: as QoS 1 redeliveries (DUP) and in any order
    const raw = await RawMqttClient.open('127.0.0.1', t.cp.mqttPorts.tcp!);
    raw.send(connectPacket({ clientId: 'IDEM-1-replay', ...robot.credentials }));
    expect(await raw.nextOfType(PacketType.CONNACK)).toMatchObject({ returnCode: 0 });
    raw.send(Buffer.from([0x82, ...encode(`medloop/v1/rejections/${robot.id}`)]));
    let packetId = 0;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(states.slice(0, -1), { minLength: 1, maxLength: 10 }), fc.boolean(), async (replay, dup) => {
        for (const payload of replay) {
          const id = (++packetId % 60_000) + 1;
          raw.send(publishPacket({ topic: 'uagv/v2/MedLoop/IDEM-1/state', payload, qos: 1, packetId: id, dup }));
          expect(await raw.nextOfType(PacketType.PUBACK, 3000, (p) => (p as { packetId: number }).packetId === id)).not.toBeNull();
        }
        const now = await view();
        expect(now.order?.lastNodeId).toBe(settled.order?.lastNodeId);
        expect(now.position).toEqual(settled.position);
      }),
      { numRuns: runs(25), seed },
    );
    const after = await missionOf();
    expect(after.status).toBe('finished');
    expect(after.history.length).toBe(final.history.length);
    raw.destroy();
  }, 90_000);

  it('applies sensor telemetry once whatever the duplication and order: the newest seq wins, duplicates are counted not applied', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        // within the tracker's documented 256-message duplicate window
        fc.uniqueArray(fc.integer({ min: 1, max: 250 }), { minLength: 2, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.infiniteStream(fc.nat()),
        async (seqs, dupPicks, order) => {
          const reg = await t.registerDevice({ kind: 'sensor', name: `idem sensor ${++n}`, ward: 'W-IDEM' });
          const id = reg.device.id as string;
          const c = await connectMqtt(t.mqttUrl, { username: reg.credentials.username, password: reg.credentials.password });
          const base = Date.parse('2030-01-01T00:00:00Z');
          const value = (s: number) => Math.round(((s % 40) - 10) * 10) / 10;
          const msg = (s: number) =>
            JSON.stringify({
              v: 1,
              deviceId: id,
              seq: s,
              ts: new Date(base + s * 1000).toISOString(),
              readings: [{ channel: 'main', temperatureC: value(s) }],
            });
          const deliveries = [...seqs, ...dupPicks.map((i) => seqs[i % seqs.length]!)];
          const it = order[Symbol.iterator]();
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
          }
          for (const s of deliveries) await c.publishAsync(deviceTopic('sensor', id, 'telemetry'), msg(s), { qos: 1 });
          const newest = Math.max(...seqs);
          const sensor = await waitForAsync(
            async () => {
              const b = (await t.api('GET', `/api/sensors/${id}`, { token: t.adminToken })).body;
              return b.link && b.link.accepted + b.link.duplicates >= deliveries.length ? b : null;
            },
            5000,
            'all telemetry seen',
          );
          await c.endAsync();
          expect(sensor.values['main.temperatureC'].value).toBe(value(newest));
          expect(sensor.link.duplicates).toBe(dupPicks.length);
          expect(sensor.link.accepted).toBe(seqs.length);
        },
      ),
      { numRuns: runs(20), seed },
    );
  }, 90_000);
});

/** SUBSCRIBE body: packet id 1, one filter at QoS 1 (remaining length prefixed by caller). */
function encode(topic: string): number[] {
  const t = Buffer.from(topic);
  const body = [0, 1, t.length >> 8, t.length & 0xff, ...t, 1];
  return [body.length, ...body];
}
