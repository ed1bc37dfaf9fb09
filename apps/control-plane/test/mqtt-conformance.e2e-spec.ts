/**
 * MQTT 3.1.1 conformance, byte for byte: every case hand-encodes its packets on a raw TCP
 * socket and runs against both our embedded broker (as an allow-all integration principal)
 * and the reference Mosquitto at 127.0.0.1:1883. Our broker must meet the specification in
 * every case, and — the summary — wherever Mosquitto conforms, so must we.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  PacketType,
  RawMqttClient,
  connectPacket,
  disconnectPacket,
  pingreqPacket,
  publishPacket,
  subscribePacket,
  unsubscribePacket,
  type Ack,
  type Connack,
  type ConnectOptions,
  type Publish,
  type Suback,
} from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';

const MOSQUITTO = { host: process.env['MOSQUITTO_HOST'] ?? '127.0.0.1', port: Number(process.env['MOSQUITTO_PORT'] ?? 1883) };
/** unique per run, so retained messages and sessions on the shared Mosquitto never leak between runs */
const RUN = `conf-${randomBytes(4).toString('hex')}`;
/** a `$`-prefixed (non-$SYS) root that the integration is explicitly allowed to use */
const DOLLAR_ROOT = `$${RUN}`;
/** each wait inside a case is bounded by 5 s; a case makes a few of them in sequence */
const CASE_TIMEOUT_MS = 20_000;

interface Target {
  name: 'ours' | 'mosquitto';
  host: string;
  port: number;
  auth: { username?: string; password?: string };
}

interface Outcome {
  ok: boolean;
  observed: string;
}

type CaseFn = (target: Target) => Promise<Outcome>;
interface Case {
  id: string;
  title: string;
  run: CaseFn;
}

// ---- per-test socket bookkeeping -----------------------------------------------------

const sockets = new Set<RawMqttClient>();
let seq = 0;
const clientId = (tag: string) => `${RUN}-${tag}-${++seq}`;
const JSON_PAYLOAD = (n: number) => JSON.stringify({ n });

async function open(target: Target): Promise<RawMqttClient> {
  const c = await RawMqttClient.open(target.host, target.port, 5000);
  sockets.add(c);
  return c;
}

/** Opens a connection and sends a CONNECT with the target's credentials (overridable). */
async function sendConnect(target: Target, opts: ConnectOptions = {}): Promise<RawMqttClient> {
  const c = await open(target);
  c.send(connectPacket({ ...target.auth, clientId: clientId('c'), ...opts }));
  return c;
}

/** A connected session; throws unless the server accepts it. */
async function session(target: Target, opts: ConnectOptions = {}): Promise<{ c: RawMqttClient; connack: Connack }> {
  const c = await sendConnect(target, opts);
  const connack = await c.nextOfType<Connack>(PacketType.CONNACK, 5000);
  if (!connack || connack.returnCode !== 0)
    throw new Error(`${target.name}: connection refused (${connack ? `CONNACK 0x${hex(connack.returnCode)}` : 'no CONNACK'})`);
  return { c, connack };
}

let pid = 1;
const nextPid = () => (pid = (pid % 65000) + 1);

async function publishQos1(c: RawMqttClient, topic: string, payload: string | Buffer, retain = false): Promise<boolean> {
  const id = nextPid();
  c.send(publishPacket({ topic, payload, qos: 1, retain, packetId: id }));
  return (await c.nextOfType<Ack>(PacketType.PUBACK, 5000, (a) => a.packetId === id)) !== null;
}

async function subscribe(c: RawMqttClient, filters: { topic: string; qos: number }[]): Promise<Suback | null> {
  const id = nextPid();
  c.send(subscribePacket(id, filters));
  return c.nextOfType<Suback>(PacketType.SUBACK, 5000, (s) => s.packetId === id);
}

const hex = (n: number) => n.toString(16).padStart(2, '0');

/** What the server did with a CONNECT that should be refused. */
async function refusal(c: RawMqttClient, ms = 3000): Promise<{ connack: number | null; closed: boolean; text: string }> {
  const ack = await c.nextOfType<Connack>(PacketType.CONNACK, ms);
  const closed = await c.closed(ack && ack.returnCode === 0 ? 500 : ms);
  const connack = ack ? ack.returnCode : null;
  return { connack, closed, text: `${connack === null ? 'no CONNACK' : `CONNACK 0x${hex(connack)}`}, ${closed ? 'closed' : 'left open'}` };
}

/** A malformed CONNECT: close without CONNACK [MQTT-3.1.4-1]. */
async function malformedConnect(target: Target, opts: ConnectOptions): Promise<Outcome> {
  const r = await refusal(await sendConnect(target, opts));
  return { ok: r.closed && r.connack === null, observed: r.text };
}

/** Sends `bytes` on an accepted session; the server must close the connection. */
async function closesOn(target: Target, bytes: Buffer, ms = 3000): Promise<Outcome> {
  const { c } = await session(target);
  c.send(bytes);
  const closed = await c.closed(ms);
  const answers = c.received.filter((p) => p.type !== PacketType.CONNACK).map((p) => packetName(p.type));
  return { ok: closed, observed: `${closed ? 'closed' : 'left open'}${answers.length ? ` (sent ${answers.join(', ')})` : ''}` };
}

function packetName(type: number): string {
  return Object.entries(PacketType).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}

// ---- the cases -----------------------------------------------------------------------

const cases: Case[] = [
  {
    id: 'MQTT-3.1.0-1',
    title: 'a first packet that is not CONNECT closes the connection',
    async run(target) {
      const c = await open(target);
      c.send(pingreqPacket());
      const closed = await c.closed(3000);
      const pong = c.received.some((p) => p.type === PacketType.PINGRESP);
      return { ok: closed && !pong, observed: `${closed ? 'closed' : 'left open'}${pong ? ', answered PINGRESP' : ''}` };
    },
  },
  {
    id: 'MQTT-3.1.0-2',
    title: 'a second CONNECT closes the connection',
    run: (target) => closesOn(target, connectPacket({ ...target.auth, clientId: clientId('second') })),
  },
  {
    id: 'MQTT-3.1.2-3',
    title: 'CONNECT with the reserved flag bit 0 set is closed without CONNACK',
    run: (target) => malformedConnect(target, { extraFlags: 0x01 }),
  },
  {
    id: 'MQTT-3.1.2-2',
    title: 'an unsupported protocol level (2) gets CONNACK 0x01 then close (or a plain close)',
    async run(target) {
      const r = await refusal(await sendConnect(target, { protocolLevel: 2 }));
      return { ok: r.closed && (r.connack === null || r.connack === 1), observed: r.text };
    },
  },
  {
    id: 'MQTT-3.1.3-8',
    title: 'a zero-byte client id with CleanSession=0 gets CONNACK 0x02 then close',
    async run(target) {
      const r = await refusal(await sendConnect(target, { clientId: '', clean: false }));
      return { ok: r.closed && r.connack === 2, observed: r.text };
    },
  },
  {
    id: 'MQTT-3.1.3-6',
    title: 'a zero-byte client id with CleanSession=1 is accepted',
    async run(target) {
      const c = await sendConnect(target, { clientId: '', clean: true });
      const ack = await c.nextOfType<Connack>(PacketType.CONNACK, 5000);
      c.send(pingreqPacket());
      const pong = await c.nextOfType(PacketType.PINGRESP, 3000);
      const ok = ack?.returnCode === 0 && pong !== null && !c.isClosed;
      return { ok, observed: `${ack ? `CONNACK 0x${hex(ack.returnCode)}` : 'no CONNACK'}${pong ? ', PINGRESP' : ''}${c.isClosed ? ', closed' : ''}` };
    },
  },
  {
    id: 'MQTT-3.1.2-11/-13',
    title: 'Will Flag 0 with Will QoS 1 is closed without CONNACK',
    run: (target) => malformedConnect(target, { extraFlags: 0x08 }),
  },
  {
    id: 'MQTT-3.1.2-11/-15',
    title: 'Will Flag 0 with Will Retain 1 is closed without CONNACK',
    run: (target) => malformedConnect(target, { extraFlags: 0x20 }),
  },
  {
    id: 'MQTT-3.1.2-22',
    title: 'a Password Flag without a User Name Flag is closed without CONNACK',
    run: (target) => malformedConnect(target, { username: undefined, password: target.auth.password ?? 'secret' }),
  },
  {
    id: 'MQTT-3.3.2-2 (+)',
    title: "PUBLISH to a topic name containing '+' closes the connection",
    run: (target) => closesOn(target, publishPacket({ topic: `${RUN}/+/x`, payload: JSON_PAYLOAD(1), qos: 1, packetId: 7 })),
  },
  {
    id: 'MQTT-3.3.2-2 (#)',
    title: "PUBLISH to a topic name containing '#' closes the connection",
    run: (target) => closesOn(target, publishPacket({ topic: `${RUN}/x/#`, payload: JSON_PAYLOAD(1), qos: 1, packetId: 7 })),
  },
  {
    id: 'MQTT-4.7.3-2',
    title: 'PUBLISH to a topic name containing U+0000 closes the connection',
    run: (target) => closesOn(target, publishPacket({ topic: `${RUN}/a\u0000b`, payload: JSON_PAYLOAD(1), qos: 1, packetId: 7 })),
  },
  {
    id: 'MQTT-3.3.1-4',
    title: 'a PUBLISH with QoS 3 closes the connection',
    run: (target) => closesOn(target, publishPacket({ topic: `${RUN}/q3`, payload: JSON_PAYLOAD(1), qos: 3, packetId: 7 })),
  },
  {
    id: 'MQTT-3.8.1-1',
    title: 'SUBSCRIBE with wrong fixed-header reserved bits (0000) closes the connection',
    run: (target) => closesOn(target, subscribePacket(9, [{ topic: `${RUN}/s`, qos: 0 }], 0x00)),
  },
  {
    id: 'MQTT-3.8.3-3',
    title: 'SUBSCRIBE with no topic filter closes the connection',
    run: (target) => closesOn(target, subscribePacket(9, [])),
  },
  {
    id: 'MQTT-4.7.1-2',
    title: "an invalid filter 'a/#/b' gets SUBACK 0x80 for that filter, or a close",
    async run(target) {
      const { c } = await session(target);
      c.send(
        subscribePacket(11, [
          { topic: `${RUN}/ok`, qos: 0 },
          { topic: `${RUN}/#/b`, qos: 0 },
        ]),
      );
      const ack = await c.nextOfType<Suback>(PacketType.SUBACK, 3000);
      const closed = ack ? false : await c.closed(1000);
      if (ack) return { ok: ack.packetId === 11 && ack.codes.length === 2 && ack.codes[1] === 0x80, observed: `SUBACK [${ack.codes.map(hex).join(',')}]` };
      return { ok: closed, observed: closed ? 'closed' : 'no SUBACK, left open' };
    },
  },
  {
    id: 'MQTT-3-8.3-4',
    title: 'SUBSCRIBE requesting QoS 3 closes the connection',
    run: (target) => closesOn(target, subscribePacket(9, [{ topic: `${RUN}/s`, qos: 3 }])),
  },
  {
    id: 'MQTT-3.10.3-2',
    title: 'UNSUBSCRIBE with no topic filter closes the connection',
    run: (target) => closesOn(target, unsubscribePacket(9, [])),
  },
  {
    id: 'MQTT-3.10.1-1',
    title: 'UNSUBSCRIBE with wrong fixed-header reserved bits (0000) closes the connection',
    run: (target) => closesOn(target, unsubscribePacket(9, [`${RUN}/s`], 0x00)),
  },
  {
    id: 'MQTT-2.3.1-6/4.3.2',
    title: 'a QoS 1 PUBLISH is answered by a PUBACK with the same packet id',
    async run(target) {
      const { c } = await session(target);
      c.send(publishPacket({ topic: `${RUN}/puback`, payload: JSON_PAYLOAD(1), qos: 1, packetId: 0x1234 }));
      const ack = await c.nextOfType<Ack>(PacketType.PUBACK, 5000);
      return { ok: ack?.packetId === 0x1234, observed: ack ? `PUBACK id 0x${ack.packetId.toString(16)}` : c.isClosed ? 'closed' : 'no PUBACK' };
    },
  },
  {
    id: 'MQTT-3.8.4-1..5',
    title: "SUBACK carries the SUBSCRIBE's packet id and one return code per filter, in order",
    async run(target) {
      const { c } = await session(target);
      const filters = [
        { topic: `${RUN}/sa/0`, qos: 0 },
        { topic: `${RUN}/sa/1`, qos: 1 },
        { topic: `${RUN}/sa/2`, qos: 2 },
      ];
      c.send(subscribePacket(0x4321, filters));
      const ack = await c.nextOfType<Suback>(PacketType.SUBACK, 5000);
      if (!ack) return { ok: false, observed: c.isClosed ? 'closed' : 'no SUBACK' };
      const ok = ack.packetId === 0x4321 && ack.codes.length === 3 && ack.codes.every((code, i) => code === 0x80 || code <= filters[i]!.qos);
      return { ok, observed: `SUBACK id 0x${ack.packetId.toString(16)} [${ack.codes.map(hex).join(',')}]` };
    },
  },
  {
    id: 'MQTT-4.7.2-1',
    title: "'#' and '+/y' do not match a topic starting with '$'",
    async run(target) {
      const topic = `${DOLLAR_ROOT}/y`;
      const { c: wild } = await session(target);
      const { c: exact } = await session(target);
      const { c: pub } = await session(target);
      const a = await subscribe(wild, [
        { topic: '#', qos: 1 },
        { topic: '+/y', qos: 1 },
      ]);
      const b = await subscribe(exact, [{ topic, qos: 1 }]);
      if (!a || !b) return { ok: false, observed: 'SUBSCRIBE not acknowledged' };
      if (!(await publishQos1(pub, topic, JSON_PAYLOAD(1))))
        return { ok: false, observed: `PUBLISH to ${topic} not acknowledged${pub.isClosed ? ' (closed)' : ''}` };
      const control = await exact.nextOfType<Publish>(PacketType.PUBLISH, 3000, (p) => p.topic === topic);
      const leaked = await wild.publishes((p) => p.topic === topic, 700, 1);
      const ok = control !== null && leaked.length === 0;
      return { ok, observed: `exact filter ${control ? 'got it' : 'got nothing'}; wildcards ${leaked.length ? 'got it' : 'got nothing'}` };
    },
  },
  {
    id: 'MQTT-3.3.1-6/-8',
    title: 'a retained message is delivered to a new subscriber with RETAIN=1',
    async run(target) {
      const topic = `${RUN}/retained/new`;
      const { c: pub } = await session(target);
      try {
        if (!(await publishQos1(pub, topic, JSON_PAYLOAD(6), true))) return { ok: false, observed: 'retained PUBLISH not acknowledged' };
        const { c: sub } = await session(target);
        await subscribe(sub, [{ topic, qos: 1 }]);
        const m = await sub.nextOfType<Publish>(PacketType.PUBLISH, 3000, (p) => p.topic === topic);
        return { ok: m !== null && m.retain && m.payload.toString() === JSON_PAYLOAD(6), observed: m ? `got it, RETAIN=${m.retain ? 1 : 0}` : 'not delivered' };
      } finally {
        await publishQos1(pub, topic, Buffer.alloc(0), true);
      }
    },
  },
  {
    id: 'MQTT-3.3.1-9',
    title: 'a retained message is forwarded to an existing subscriber with RETAIN=0',
    async run(target) {
      const topic = `${RUN}/retained/existing`;
      const { c: sub } = await session(target);
      await subscribe(sub, [{ topic, qos: 1 }]);
      const { c: pub } = await session(target);
      try {
        if (!(await publishQos1(pub, topic, JSON_PAYLOAD(9), true))) return { ok: false, observed: 'retained PUBLISH not acknowledged' };
        const m = await sub.nextOfType<Publish>(PacketType.PUBLISH, 3000, (p) => p.topic === topic);
        return { ok: m !== null && !m.retain, observed: m ? `got it, RETAIN=${m.retain ? 1 : 0}` : 'not delivered' };
      } finally {
        await publishQos1(pub, topic, Buffer.alloc(0), true);
      }
    },
  },
  {
    id: 'MQTT-3.3.1-10/-11',
    title: 'a zero-length retained PUBLISH clears the retained message',
    async run(target) {
      const topic = `${RUN}/retained/cleared`;
      const { c: pub } = await session(target);
      if (!(await publishQos1(pub, topic, JSON_PAYLOAD(10), true))) return { ok: false, observed: 'retained PUBLISH not acknowledged' };
      if (!(await publishQos1(pub, topic, Buffer.alloc(0), true))) return { ok: false, observed: 'zero-length retained PUBLISH not acknowledged' };
      const { c: sub } = await session(target);
      await subscribe(sub, [{ topic, qos: 1 }]);
      const got = await sub.publishes((p) => p.topic === topic, 800, 1);
      return { ok: got.length === 0, observed: got.length ? `still delivered (${got[0]!.payload.length} bytes)` : 'nothing retained' };
    },
  },
  {
    id: 'MQTT-3.1.2-24',
    title: 'a client with keepalive=1 that sends nothing is disconnected within 1.5x (allowing up to 4 s)',
    async run(target) {
      const { c } = await session(target, { keepalive: 1 });
      const since = Date.now();
      const closed = await c.closed(5000);
      const ms = Date.now() - since;
      // 1.5 x 1 s plus slack for timer granularity; closing before the keep alive elapsed is wrong too
      return { ok: closed && ms >= 900 && ms <= 4000, observed: closed ? `closed after ${ms} ms` : 'still open after 5 s' };
    },
  },
  {
    id: 'MQTT-3.12.4-1',
    title: 'PINGREQ is answered by PINGRESP',
    async run(target) {
      const { c } = await session(target);
      c.send(pingreqPacket());
      const pong = await c.nextOfType(PacketType.PINGRESP, 3000);
      return { ok: pong !== null, observed: pong ? 'PINGRESP' : 'no PINGRESP' };
    },
  },
  {
    id: 'MQTT-3.2.2-2, 3.1.2-4/-5',
    title: 'CleanSession=0 reconnect gets sessionPresent=1 and the QoS 1 messages published while away',
    async run(target) {
      const id = clientId('persist');
      const topic = `${RUN}/session/${seq}`;
      const first = await session(target, { clientId: id, clean: false });
      try {
        await subscribe(first.c, [{ topic, qos: 1 }]);
        first.c.send(disconnectPacket());
        await first.c.closed(3000);
        const { c: pub } = await session(target);
        if (!(await publishQos1(pub, topic, JSON_PAYLOAD(42)))) return { ok: false, observed: 'PUBLISH not acknowledged' };
        const again = await session(target, { clientId: id, clean: false });
        const m = await again.c.nextOfType<Publish>(PacketType.PUBLISH, 3000, (p) => p.topic === topic);
        const ok = again.connack.sessionPresent && m !== null && m.payload.toString() === JSON_PAYLOAD(42);
        again.c.send(disconnectPacket());
        return { ok, observed: `sessionPresent=${again.connack.sessionPresent ? 1 : 0}, queued QoS 1 message ${m ? 'delivered' : 'lost'}` };
      } finally {
        // leave no persistent session behind on the shared Mosquitto
        const wipe = await session(target, { clientId: id, clean: true }).catch(() => null);
        wipe?.c.send(disconnectPacket());
      }
    },
  },
  {
    id: 'MQTT-3.2.2-1, 3.1.2-6',
    title: 'CleanSession=1 gets sessionPresent=0 and discards an existing session',
    async run(target) {
      const id = clientId('clean');
      const topic = `${RUN}/clean/${seq}`;
      const first = await session(target, { clientId: id, clean: false });
      await subscribe(first.c, [{ topic, qos: 1 }]);
      first.c.send(disconnectPacket());
      await first.c.closed(3000);
      const again = await session(target, { clientId: id, clean: true });
      const { c: pub } = await session(target);
      await publishQos1(pub, topic, JSON_PAYLOAD(1));
      const stale = await again.c.publishes((p) => p.topic === topic, 700, 1);
      again.c.send(disconnectPacket());
      const ok = !again.connack.sessionPresent && stale.length === 0;
      return { ok, observed: `sessionPresent=${again.connack.sessionPresent ? 1 : 0}, old subscription ${stale.length ? 'still active' : 'gone'}` };
    },
  },
  {
    id: 'MQTT-3.1.4-2',
    title: 'a second connection with the same client id takes over: the first is closed',
    async run(target) {
      const id = clientId('takeover');
      const { c: first } = await session(target, { clientId: id });
      const { c: second } = await session(target, { clientId: id });
      const closed = await first.closed(3000);
      second.send(pingreqPacket());
      const pong = await second.nextOfType(PacketType.PINGRESP, 3000);
      return { ok: closed && pong !== null, observed: `first ${closed ? 'closed' : 'left open'}, second ${pong ? 'alive' : 'dead'}` };
    },
  },
  {
    id: 'MQTT-4.6.0-5',
    title: 'QoS 1 messages on one topic arrive in the order they were published',
    async run(target) {
      const topic = `${RUN}/order`;
      const { c: sub } = await session(target);
      await subscribe(sub, [{ topic, qos: 1 }]);
      const { c: pub } = await session(target);
      const N = 20;
      pub.send(...Array.from({ length: N }, (_, i) => publishPacket({ topic, payload: JSON_PAYLOAD(i + 1), qos: 1, packetId: 100 + i })));
      const got = await sub.publishes((p) => p.topic === topic, 5000, N);
      const order = got.map((p) => (JSON.parse(p.payload.toString()) as { n: number }).n);
      const ok = order.length === N && order.every((n, i) => n === i + 1);
      return { ok, observed: ok ? `${N} in order` : `got [${order.join(',')}]` };
    },
  },
];

// ---- the suite -----------------------------------------------------------------------

const results = new Map<string, { ours?: Outcome; mosquitto?: Outcome | 'skipped' }>();
const record = (id: string, side: 'ours' | 'mosquitto', o: Outcome | 'skipped') => results.set(id, { ...results.get(id), [side]: o });

async function probeMosquitto(): Promise<boolean> {
  try {
    const c = await RawMqttClient.open(MOSQUITTO.host, MOSQUITTO.port, 2000);
    c.send(connectPacket({ clientId: clientId('probe') }));
    const ack = await c.nextOfType<Connack>(PacketType.CONNACK, 2000);
    c.send(disconnectPacket());
    c.destroy();
    return ack?.returnCode === 0;
  } catch {
    return false;
  }
}

async function guarded(run: CaseFn, target: Target): Promise<Outcome> {
  try {
    return await run(target);
  } catch (err) {
    return { ok: false, observed: `error: ${(err as Error).message}` };
  }
}

describe('MQTT 3.1.1 conformance (raw bytes): our broker vs Mosquitto', () => {
  let t: TestApp;
  let ours: Target;
  let mosquitto: Target | null = null;

  beforeAll(async () => {
    t = await startTestApp();
    const reg = await t.registerDevice({
      kind: 'integration',
      name: 'mqtt conformance',
      acl: [
        { effect: 'allow', action: 'both', pattern: '#' },
        { effect: 'allow', action: 'both', pattern: `${DOLLAR_ROOT}/#` },
      ],
    });
    const url = new URL(t.mqttUrl);
    ours = { name: 'ours', host: url.hostname, port: Number(url.port), auth: reg.credentials };
    if (await probeMosquitto()) {
      mosquitto = { name: 'mosquitto', host: MOSQUITTO.host, port: MOSQUITTO.port, auth: {} };
    } else {
      console.warn(`Mosquitto is not reachable at ${MOSQUITTO.host}:${MOSQUITTO.port}: the reference side of the conformance suite is skipped`);
    }
  }, 30_000);

  afterEach(() => {
    for (const c of sockets) c.destroy();
    sockets.clear();
  });

  afterAll(async () => {
    for (const c of sockets) c.destroy();
    await t?.close();
  });

  describe('our embedded broker', () => {
    for (const k of cases) {
      it(
        `[${k.id}] ${k.title}`,
        async () => {
          const o = await guarded(k.run, ours);
          record(k.id, 'ours', o);
          expect({ case: k.id, ...o }).toEqual({ case: k.id, ok: true, observed: o.observed });
        },
        CASE_TIMEOUT_MS,
      );
    }
  });

  describe('reference: Mosquitto at 127.0.0.1:1883', () => {
    for (const k of cases) {
      it(
        `[${k.id}] ${k.title}`,
        async () => {
          if (!mosquitto) {
            record(k.id, 'mosquitto', 'skipped');
            console.info(`[${k.id}] skipped on Mosquitto: not reachable`);
            return;
          }
          record(k.id, 'mosquitto', await guarded(k.run, mosquitto));
        },
        CASE_TIMEOUT_MS,
      );
    }
  });

  it('summary: wherever Mosquitto conforms, our broker conforms too', () => {
    const cell = (o: Outcome | 'skipped' | undefined) =>
      o === undefined ? 'not run' : o === 'skipped' ? 'skipped' : `${o.ok ? 'PASS' : 'FAIL'} (${o.observed})`;
    const rows = cases.map((k) => {
      const r = results.get(k.id) ?? {};
      return [k.id, cell(r.mosquitto), cell(r.ours)] as const;
    });
    const widths = [0, 1, 2].map((i) => Math.max(...[['case', 'mosquitto', 'ours'], ...rows].map((r) => r[i]!.length)));
    const line = (r: readonly string[]) => r.map((s, i) => s.padEnd(widths[i]!)).join(' | ');
    console.log(
      [
        'MQTT 3.1.1 conformance: case | mosquitto | ours',
        line(['case', 'mosquitto', 'ours']),
        widths.map((w) => '-'.repeat(w)).join('-+-'),
        ...rows.map(line),
      ].join('\n'),
    );

    const gaps = cases.filter((k) => {
      const r = results.get(k.id);
      const m = r?.mosquitto;
      return m !== undefined && m !== 'skipped' && m.ok && !r?.ours?.ok;
    });
    expect(gaps.map((k) => `${k.id}: mosquitto ${cell(results.get(k.id)?.mosquitto)}, ours ${cell(results.get(k.id)?.ours)}`)).toEqual([]);
  });
});
