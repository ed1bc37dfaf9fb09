/**
 * The Eclipse Paho MQTT 3.1.1 interoperability client tests, ported to TypeScript and run
 * against MedLoop's embedded broker through ONE integration principal allowed `#` (publish and
 * subscribe), every client connecting with its credentials.
 *
 * Source: eclipse/paho.mqtt.testing, interoperability/client_test.py (the unittest version,
 * commit be3ecc1b), Copyright (c) 2013, 2017 IBM Corp., Ian Craggs; made available under the
 * Eclipse Public License (v1.0 in that file's header; the project is now EPL-2.0) and the
 * Eclipse Distribution License v1.0 (http://www.eclipse.org/org/documents/edl-v10.php).
 * Each test keeps its upstream name (`testBasic` is test_basic here; `will_message_test`,
 * which unittest never picks up, is test_will_message), topics, client ids, payloads and
 * assertions, in unittest's (alphabetical) order with the will test last.
 *
 * The clients: the `mqtt` package (protocol 3.1.1, keepalive 0 like the Paho test client,
 * which never sends PINGREQ), and the raw packet client where the Paho client does what no
 * standard client will: a second CONNECT on one socket, a wrong protocol name, a zero-length
 * client id without a clean session, a keepalive it never honours with pings (test_keepalive),
 * and pause(), which withholds PUBACK/PUBREC (test_redelivery_on_reconnect).
 *
 * Waits: where Paho sleeps and then asserts a count of N > 0, we wait for N, bounded by its
 * sleep (never less than 5 s: CI is slower than a desk); where it asserts that nothing arrived,
 * we sleep what it sleeps, since absence can only be shown by waiting.
 *
 * MedLoop differs from a plain broker in two ways that the tests meet:
 * - client ids are namespaced per user name (one device cannot take over another's session);
 *   every client here uses the one principal, so `myclientid` and `myclientid2` stay distinct
 *   sessions, persist and are taken over exactly as the tests expect.
 * - `$`-topics: `#` does not reach them (MQTT-4.7.2-1), so the integration's publish to
 *   `$TopicA/B` is refused by its ACL and, 3.1.1 having no negative PUBACK, the connection is
 *   closed (MQTT-3.3.5-2). test_dollar_topics asserts that a `+/+` subscriber receives nothing
 *   from a `$` publish, which still holds; so that it does not hold only because of the
 *   refusal, the server itself (not bound by the ACL) also publishes to `$TopicA/B` first.
 *
 * For comparison only: PAHO_BROKER=127.0.0.1:1883 (with PAHO_USERNAME / PAHO_PASSWORD if the
 * broker wants them) runs the same spec against another broker, e.g. raw aedes or Mosquitto.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import {
  PacketType,
  RawMqttClient,
  connectPacket,
  disconnectPacket,
  publishPacket,
  rawPacket,
  subscribePacket,
  u16,
  type Connack,
  type ConnectOptions,
  type Decoded,
  type Publish,
  type Suback,
} from '#testing';
import { MqttService } from '../src/mqtt/mqtt.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const topics = ['TopicA', 'TopicA/B', 'Topic/C', 'TopicA/C', '/TopicA'] as const;
const wildtopics = ['TopicA/+', '+/C', '#', '/#', '/+', '+/+', 'TopicA/#'] as const;
const nosubscribeTopics = ['test/nosubscribe'] as const;

/** the longest Paho wait is 15 s (test_keepalive); each test makes a few in sequence */
const TEST_TIMEOUT_MS = 40_000;

interface Target {
  host: string;
  port: number;
  auth: { username?: string; password?: string };
}

interface Message {
  topic: string;
  payload: Buffer;
  qos: number;
  retained: boolean;
  msgid: number | undefined;
}

/** What the Paho test client's callback records. */
class Callbacks {
  messages: Message[] = [];
  subscribeds: [number, number[]][] = [];
  unsubscribeds: number[] = [];
  clear(): void {
    this.messages = [];
    this.subscribeds = [];
    this.unsubscribeds = [];
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for `cond`, for at most the Paho test's sleep (but at least 5 s). */
async function until(cond: () => boolean, pahoSleepMs: number): Promise<void> {
  const deadline = Date.now() + Math.max(pahoSleepMs, 5000);
  while (!cond() && Date.now() < deadline) await sleep(20);
}

let target: Target;
const raws = new Set<RawMqttClient>();
const clients = new Set<Client>();

/**
 * The Paho test client's surface over the `mqtt` package: connect answers with the CONNACK
 * and throws unless it is accepted; publish does not wait for its acknowledgement (Paho's
 * does not); disconnect lets in-flight exchanges finish first, as Paho's does (bounded: 4 s).
 */
class Client {
  private c: MqttClient | null = null;
  constructor(
    readonly clientId: string,
    private readonly callback: Callbacks,
  ) {
    clients.add(this);
  }

  connect(o: { cleansession?: boolean; keepalive?: number; will?: { topic: string; payload: string } } = {}): Promise<IConnackPacket> {
    const opts: IClientOptions = {
      protocolVersion: 4,
      clientId: this.clientId,
      clean: o.cleansession ?? true,
      keepalive: o.keepalive ?? 0,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...target.auth,
      // Paho's defaults: will QoS 2, not retained
      ...(o.will ? { will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 2 as const, retain: false } } : {}),
    };
    const c = mqtt.connect(`mqtt://${target.host}:${target.port}`, opts);
    this.c = c;
    // attached before the CONNACK: a persistent session's queued messages follow it at once
    c.on('message', (topic, payload, packet) =>
      this.callback.messages.push({ topic, payload, qos: packet.qos, retained: packet.retain, msgid: packet.messageId }),
    );
    return new Promise((resolve, reject) => {
      c.once('connect', (connack) => {
        c.on('error', () => undefined);
        resolve(connack);
      });
      c.once('error', (err) => {
        c.end(true);
        reject(err);
      });
      c.once('close', () => reject(new Error('connect failed - socket closed, no connack')));
    });
  }

  async subscribe(filters: readonly string[], qoss: readonly (0 | 1 | 2)[]): Promise<void> {
    const granted = await this.live().subscribeAsync(Object.fromEntries(filters.map((topic, i) => [topic, { qos: qoss[i]! }])));
    this.callback.subscribeds.push([0, granted.map((g) => g.qos)]);
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    await this.live().unsubscribeAsync([...filters]);
    this.callback.unsubscribeds.push(0);
  }

  publish(topic: string, payload: string, qos: 0 | 1 | 2 = 0, retained = false): void {
    this.live().publish(topic, Buffer.from(payload), { qos, retain: retained }, () => undefined);
  }

  async disconnect(): Promise<void> {
    const c = this.c;
    this.c = null;
    if (!c) return;
    if (!c.connected) return void (await c.endAsync(true));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([c.endAsync(false), new Promise((resolve) => (timer = setTimeout(resolve, 4000)))]);
    clearTimeout(timer);
    await c.endAsync(true);
  }

  /** closes the socket without DISCONNECT */
  terminate(): void {
    this.c?.stream.destroy();
    this.c?.end(true);
    this.c = null;
  }

  async close(): Promise<void> {
    await this.c?.endAsync(true).catch(() => undefined);
    this.c = null;
  }

  private live(): MqttClient {
    if (!this.c) throw new Error(`${this.clientId} is not connected`);
    return this.c;
  }
}

/** A raw socket with a CONNECT sent; resolves with the CONNACK (null if the server closed without one). */
async function rawConnect(o: ConnectOptions): Promise<{ c: RawMqttClient; connack: Connack | null }> {
  const c = await RawMqttClient.open(target.host, target.port, 5000);
  raws.add(c);
  c.send(connectPacket({ keepalive: 0, ...target.auth, ...o }));
  return { c, connack: await c.nextOfType<Connack>(PacketType.CONNACK, 5000) };
}

/**
 * What the Paho client's receiver does with what it reads: records each PUBLISH and completes
 * its exchange (PUBACK; PUBREC, then PUBCOMP for the PUBREL), until `count` or `ms`.
 */
async function receive(c: RawMqttClient, callback: Callbacks, ms: number, count: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (callback.messages.length < count) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    const p = await c.next<Decoded>((x) => x.type === PacketType.PUBLISH || x.type === PacketType.PUBREL, left);
    if (!p) return;
    if (p.type === PacketType.PUBREL) {
      c.send(rawPacket(PacketType.PUBCOMP, 0, (p as { body: Buffer }).body.subarray(0, 2)));
      continue;
    }
    const m = p as Publish;
    callback.messages.push({ topic: m.topic, payload: m.payload, qos: m.qos, retained: m.retain, msgid: m.packetId ?? undefined });
    if (m.qos === 1) c.send(rawPacket(PacketType.PUBACK, 0, u16(m.packetId!)));
    if (m.qos === 2) c.send(rawPacket(PacketType.PUBREC, 0, u16(m.packetId!)));
  }
}

/** Paho's cleanup(): clean sessions for both client ids, and every retained message cleared. */
async function cleanup(): Promise<void> {
  for (const clientid of ['myclientid', 'myclientid2']) {
    const cur = new Client(clientid, new Callbacks());
    await cur.connect({ cleansession: true });
    await sleep(100);
    await cur.disconnect();
  }
  const callback = new Callbacks();
  const cur = new Client('clean retained', callback);
  await cur.connect({ cleansession: true });
  await cur.subscribe(['#'], [0]);
  await sleep(2000); // wait for all retained messages to arrive
  for (const message of callback.messages) if (message.retained) cur.publish(message.topic, '', 0, true);
  await cur.disconnect();
}

describe('Eclipse Paho MQTT 3.1.1 interoperability client tests (one integration principal allowed #)', () => {
  let t: TestApp | null = null;
  let callback: Callbacks;
  let callback2: Callbacks;
  let aclient: Client;
  let bclient: Client;

  beforeAll(async () => {
    const external = process.env['PAHO_BROKER'];
    if (external) {
      const [host, port] = external.split(':');
      const auth = process.env['PAHO_USERNAME'] ? { username: process.env['PAHO_USERNAME'], password: process.env['PAHO_PASSWORD'] ?? '' } : {};
      target = { host: host!, port: Number(port ?? 1883), auth };
    } else {
      t = await startTestApp();
      const reg = await t.registerDevice({
        kind: 'integration',
        name: 'Paho interoperability',
        acl: [{ effect: 'allow', action: 'both', pattern: '#' }],
      });
      const url = new URL(t.mqttUrl);
      target = { host: url.hostname, port: Number(url.port), auth: reg.credentials };
    }
    await cleanup();
    callback = new Callbacks();
    callback2 = new Callbacks();
    aclient = new Client('myclientid', callback);
    bclient = new Client('myclientid2', callback2);
  }, 30_000);

  afterEach(async () => {
    for (const c of raws) c.destroy();
    raws.clear();
    for (const c of clients) await c.close();
  });

  afterAll(async () => {
    await t?.close();
  });

  it(
    'test_basic',
    async () => {
      await aclient.connect();
      await aclient.disconnect();

      const connack = await aclient.connect();
      expect(connack.sessionPresent).toBe(false); // flags == 0x00
      await aclient.subscribe([topics[0]], [2]);
      aclient.publish(topics[0], 'qos 0');
      aclient.publish(topics[0], 'qos 1', 1);
      aclient.publish(topics[0], 'qos 2', 2);
      await until(() => callback.messages.length >= 3, 2000);
      await aclient.disconnect();
      expect(callback.messages.map((m) => m.payload.toString())).toEqual(['qos 0', 'qos 1', 'qos 2']);

      // should fail - second connect on socket
      const first = await rawConnect({ clientId: 'myclientid' });
      expect(first.connack?.returnCode).toBe(0);
      first.c.send(connectPacket({ keepalive: 0, ...target.auth, clientId: 'myclientid' }));
      const second = await first.c.nextOfType<Connack>(PacketType.CONNACK, 3000);
      expect(second === null || second.returnCode !== 0).toBe(true);
      expect(await first.c.closed(3000)).toBe(true);

      // should fail - wrong protocol name
      const wrong = await rawConnect({ clientId: 'myclientid', protocolName: 'hj' });
      expect(wrong.connack === null || wrong.connack.returnCode !== 0).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_dollar_topics',
    async () => {
      callback2.clear();
      await bclient.connect({ cleansession: true, keepalive: 0 });
      await bclient.subscribe([wildtopics[5]], [2]);
      await sleep(1000); // wait for all retained messages, hopefully
      callback2.clear();
      // MedLoop only (see the header): a `$` publish the integration's ACL cannot refuse
      if (t) await t.cp.app.get(MqttService).broker.publish(`$${topics[1]}`, '', { qos: 1 });
      bclient.publish(`$${topics[1]}`, '', 1, false);
      await sleep(200);
      expect(callback2.messages).toEqual([]);
      await bclient.disconnect();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_keepalive',
    async () => {
      // We should be kicked off by the server if we don't send or receive any data, and don't
      // send any pings either. (Raw: a standard client would honour its keepalive with pings.)
      callback2.clear();
      const a = await rawConnect({ clientId: 'myclientid', clean: true, keepalive: 5, will: { topic: topics[4], payload: 'keepalive expiry', qos: 2 } });
      expect(a.connack?.returnCode).toBe(0);
      await bclient.connect({ cleansession: true, keepalive: 0 });
      await bclient.subscribe([topics[4]], [2]);
      await until(() => callback2.messages.length >= 1, 15_000);
      await bclient.disconnect();
      expect(callback2.messages.map((m) => [m.topic, m.payload.toString()])).toEqual([[topics[4], 'keepalive expiry']]); // the will message
      expect(a.c.isClosed).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_offline_message_queueing',
    async () => {
      callback.clear();
      await aclient.connect({ cleansession: false });
      await aclient.subscribe([wildtopics[5]], [2]);
      await aclient.disconnect();

      const connack = await bclient.connect({ cleansession: true });
      expect(connack.sessionPresent).toBe(false);
      bclient.publish(topics[1], 'qos 0', 0);
      bclient.publish(topics[2], 'qos 1', 1);
      bclient.publish(topics[3], 'qos 2', 2);
      await sleep(2000);
      await bclient.disconnect();

      const again = await aclient.connect({ cleansession: false });
      expect(again.sessionPresent).toBe(true);
      await until(() => callback.messages.length >= 3, 2000);
      await aclient.disconnect();

      expect([2, 3]).toContain(callback.messages.length);
      console.info(`This server ${callback.messages.length === 3 ? 'is' : 'is not'} queueing QoS 0 messages for offline clients`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_overlapping_subscriptions',
    async () => {
      // one message with the highest QoS of the matching subscriptions, or one per subscription
      callback.clear();
      callback2.clear();
      await aclient.connect();
      await aclient.subscribe([wildtopics[6], wildtopics[0]], [2, 1]);
      aclient.publish(topics[3], 'overlapping topic filters', 2);
      await sleep(1000);
      expect([1, 2]).toContain(callback.messages.length);
      if (callback.messages.length === 1) {
        console.info('This server is publishing one message for all matching overlapping subscriptions, not one for each.');
        expect(callback.messages[0]!.qos).toBe(2);
      } else {
        console.info('This server is publishing one message per each matching overlapping subscription.');
        expect(callback.messages.map((m) => m.qos).sort()).toEqual([1, 2]);
      }
      await aclient.disconnect();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_redelivery_on_reconnect',
    async () => {
      // When a QoS 1 or 2 exchange has not been completed, the server should retry the
      // appropriate MQTT packets. (Raw: pause() means nothing read is processed or answered.)
      callback.clear();
      callback2.clear();
      const b = await rawConnect({ clientId: 'myclientid2', clean: false });
      expect(b.connack?.returnCode).toBe(0);
      b.c.autoPuback = false;
      b.c.send(subscribePacket(1, [{ topic: wildtopics[6], qos: 2 }]));
      expect((await b.c.nextOfType<Suback>(PacketType.SUBACK, 5000))?.codes).toEqual([2]);
      // bclient.pause(): stops responding to incoming publishes
      b.c.send(publishPacket({ topic: topics[1], payload: '', qos: 1, packetId: 2 }));
      b.c.send(publishPacket({ topic: topics[3], payload: '', qos: 2, packetId: 3 }));
      await sleep(1000);
      b.c.send(disconnectPacket());
      await sleep(100);
      b.c.destroy();
      expect(callback2.messages).toHaveLength(0);
      // bclient.resume(), and reconnect
      const again = await rawConnect({ clientId: 'myclientid2', clean: false });
      expect(again.connack?.returnCode).toBe(0);
      again.c.autoPuback = false;
      await receive(again.c, callback2, 3000, 2);
      expect(callback2.messages.map((m) => [m.topic, m.qos]).sort()).toEqual([
        [topics[1], 1],
        [topics[3], 2],
      ]);
      again.c.send(disconnectPacket());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_retained_messages',
    async () => {
      callback.clear();
      let connack = await aclient.connect({ cleansession: true });
      expect(connack.sessionPresent).toBe(false);
      aclient.publish(topics[1], 'qos 0', 0, true);
      aclient.publish(topics[2], 'qos 1', 1, true);
      aclient.publish(topics[3], 'qos 2', 2, true);
      await sleep(1000);
      await aclient.subscribe([wildtopics[5]], [2]);
      await until(() => callback.messages.length >= 3, 1000);
      await aclient.disconnect();
      expect(callback.messages).toHaveLength(3);
      expect(callback.messages.every((m) => m.retained)).toBe(true);

      // clear retained messages
      callback.clear();
      connack = await aclient.connect({ cleansession: true });
      expect(connack.sessionPresent).toBe(false);
      aclient.publish(topics[1], '', 0, true);
      aclient.publish(topics[2], '', 1, true);
      aclient.publish(topics[3], '', 2, true);
      await sleep(1000); // wait for QoS 2 exchange to be completed
      await aclient.subscribe([wildtopics[5]], [2]);
      await sleep(1000);
      await aclient.disconnect();
      expect(callback.messages).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  // Excepted by issue #18: it needs a server configured to refuse subscriptions to
  // `test/nosubscribe`. The one principal here is allowed `#`, and MedLoop's way to refuse one
  // filter, a deny rule, also refuses every wildcard that overlaps it (`+/+`, `#`: a wildcard must
  // never smuggle denied topics in), which the other tests subscribe to. SUBACK 0x80 for a filter
  // outside the ACL is covered in devices-mqtt.e2e-spec.ts and the raw conformance suite.
  it.skip('test_subscribe_failure', async () => {
    callback.clear();
    await aclient.connect();
    await aclient.subscribe([nosubscribeTopics[0]], [2]);
    await sleep(200);
    expect(callback.subscribeds[0]![1][0]).toBe(0x80);
  });

  it(
    'test_unsubscribe',
    async () => {
      callback2.clear();
      await bclient.connect({ cleansession: true });
      await bclient.subscribe([topics[0]], [2]);
      await bclient.subscribe([topics[1]], [2]);
      await bclient.subscribe([topics[2]], [2]);
      await sleep(1000); // wait for all retained messages, hopefully
      // Unsubscribed from one topic
      await bclient.unsubscribe([topics[0]]);

      await aclient.connect({ cleansession: true });
      aclient.publish(topics[0], '', 1, false);
      aclient.publish(topics[1], '', 1, false);
      aclient.publish(topics[2], '', 1, false);
      await sleep(2000);

      await bclient.disconnect();
      await aclient.disconnect();
      expect(callback2.messages.map((m) => m.topic).sort()).toEqual([topics[2], topics[1]].sort());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_zero_length_clientid',
    async () => {
      // should be rejected
      const unclean = await rawConnect({ clientId: '', clean: false });
      expect(unclean.connack === null || unclean.connack.returnCode !== 0).toBe(true);
      // should work
      const clean = await rawConnect({ clientId: '', clean: true });
      expect(clean.connack?.returnCode).toBe(0);
      clean.c.send(disconnectPacket());
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'test_will_message',
    async () => {
      callback2.clear();
      expect(callback2.messages).toHaveLength(0);
      const connack = await aclient.connect({ cleansession: true, will: { topic: topics[2], payload: 'client not disconnected' }, keepalive: 2 });
      expect(connack.sessionPresent).toBe(false);
      await bclient.connect({ cleansession: false });
      await bclient.subscribe([topics[2]], [2]);
      await sleep(100);
      aclient.terminate();
      await until(() => callback2.messages.length >= 1, 5000);
      await bclient.disconnect();
      expect(callback2.messages.map((m) => [m.topic, m.payload.toString()])).toEqual([[topics[2], 'client not disconnected']]); // the will message
    },
    TEST_TIMEOUT_MS,
  );
});
