/**
 * Broker under stress, beyond broker-robustness.e2e-spec.ts: connect/disconnect churn of
 * thousands of clients while a subscriber freezes and another leaves mid-flood. A control
 * client's QoS 1 round trip stays within a generous bound during the stress (a property, not
 * a benchmark) and medloop_mqtt_connections comes back to its baseline (no counter drift).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { connectMqtt, connectPacket, RawMqttClient, subscribePacket, waitForAsync } from '#testing';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { percentile, scrape, sleep } from './support.js';

const CHURN = Number(process.env['CHURN_CLIENTS'] ?? 1500);

describe('broker under stress', () => {
  let t: TestApp;
  let control: MqttClient;
  const acl = [
    { effect: 'allow', action: 'publish', pattern: 'stress/#' },
    { effect: 'allow', action: 'subscribe', pattern: 'stress/#' },
  ];

  beforeAll(async () => {
    t = await startTestApp();
    const ctl = await t.registerDevice({ kind: 'integration', name: 'control', acl });
    control = await connectMqtt(t.mqttUrl, { username: ctl.credentials.username, password: ctl.credentials.password });
    await control.subscribeAsync('stress/ping', { qos: 1 });
  });
  afterAll(async () => {
    await control?.endAsync(true);
    await t?.close();
  });

  /** QoS 1 round trips of the control client, one every `gapMs`, for `ms`. */
  async function pings(ms: number, gapMs = 20): Promise<number[]> {
    const out: number[] = [];
    const deadline = Date.now() + ms;
    for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
      const id = `${Date.now()}-${i}`;
      const started = Date.now();
      const got = new Promise<void>((res) => {
        const on = (_t: string, p: Buffer) => {
          if (p.toString().includes(id)) {
            control.off('message', on);
            res();
          }
        };
        control.on('message', on);
      });
      await control.publishAsync('stress/ping', JSON.stringify({ id }), { qos: 1 });
      await Promise.race([got, sleep(5000)]);
      out.push(Date.now() - started);
      await sleep(gapMs);
    }
    return out;
  }

  it('keeps a control client responsive and connection counters exact through churn, a frozen subscriber and a subscriber leaving mid-flood', async () => {
    const gauge = () => scrape(t.baseUrl, /^medloop_mqtt_connections /);
    const baseline = await gauge();
    const before = await pings(1500);
    const dev = await t.registerDevice({ kind: 'integration', name: 'stress', acl });
    const creds = { username: dev.credentials.username, password: dev.credentials.password };

    // a frozen subscriber: subscribed to the flood and never reading its socket
    const frozen = await RawMqttClient.open('127.0.0.1', t.cp.mqttPorts.tcp!);
    frozen.send(connectPacket({ clientId: 'frozen', ...creds }), subscribePacket(1, [{ topic: 'stress/flood', qos: 1 }]));
    await sleep(200);
    frozen.socket.pause();
    // a flood publisher, and subscribers that leave in the middle of it
    const flooder = await connectMqtt(t.mqttUrl, { ...creds, clientId: 'flooder' });
    let stop = false;
    const flood = (async () => {
      const payload = JSON.stringify({ pad: 'x'.repeat(512) });
      // ~10k messages/s, a tenth of them QoS 1, bounded in count
      for (let i = 0; !stop && i < 100_000; i++) {
        flooder.publish('stress/flood', payload, { qos: i % 10 === 0 ? 1 : 0 });
        if (i % 50 === 0) await sleep(5);
      }
    })();
    const leavers = (async () => {
      for (let i = 0; !stop && i < 20; i++) {
        const c = await connectMqtt(t.mqttUrl, { ...creds, clientId: `leaver-${i}` });
        await c.subscribeAsync('stress/flood', { qos: 1 });
        await sleep(100);
        c.stream.destroy(); // abrupt, mid-delivery
      }
    })();
    // churn: thousands of connects and disconnects, 50 at a time
    const churnStarted = Date.now();
    const churn = (async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < CHURN && Date.now() - churnStarted < 120_000) {
            const i = next++;
            const c = await connectMqtt(t.mqttUrl, { ...creds, clientId: `churn-${i}`, keepalive: 0 });
            if (i % 3 === 0) c.stream.destroy();
            else await Promise.race([c.endAsync(), sleep(2000)]);
          }
        }),
      );
      return next;
    })();
    const during = await pings(6000);
    const churned = await churn;
    stop = true;
    await Promise.all([flood, leavers]);
    const churnMs = Date.now() - churnStarted;
    await flooder.endAsync(true);
    frozen.destroy();

    const p95Before = percentile(before, 95);
    const p95During = percentile(during, 95);
    process.stdout.write(
      `broker-stress: ${churned} clients churned in ${churnMs} ms; control QoS 1 RTT p95 ${p95Before} ms before, ${p95During} ms during (p50 ${percentile(during, 50)}, max ${Math.max(...during)}), ${during.length} pings\n`,
    );
    expect(churned).toBe(CHURN);
    expect(during.length).toBeGreaterThan(20);
    expect(p95During).toBeLessThan(500);
    // no drift: every churned, frozen and abandoned connection is counted out again
    await waitForAsync(async () => (await gauge()) === baseline, 20_000, `medloop_mqtt_connections back to ${baseline}`);
    expect(t.cp.app.get((await import('../../src/mqtt/mqtt.service.js')).MqttService).broker.connectedClients).toBe(baseline);
    expect((await pings(500)).every((ms) => ms < 500)).toBe(true);
  }, 180_000);
});
