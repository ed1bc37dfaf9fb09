/**
 * A byte-level MQTT 3.1.1 client for conformance tests: packets are hand-encoded (so a test can
 * send exactly the malformed bytes the specification talks about) and the server's answers are
 * decoded from the raw stream. Nothing here validates what it sends.
 */
import { connect as netConnect, type Socket } from 'node:net';

// ---- encoding ------------------------------------------------------------------------

export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const;

export function encodeRemainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A UTF-8 string with its two-byte length prefix. */
export function mqttString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A whole packet: the first byte (type << 4 | flags), the remaining length, the body. */
export function rawPacket(type: number, flags: number, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([((type & 0x0f) << 4) | (flags & 0x0f)]), encodeRemainingLength(body.length), body]);
}

export interface ConnectOptions {
  clientId?: string;
  clean?: boolean;
  keepalive?: number;
  username?: string;
  password?: string | Buffer;
  will?: { topic: string; payload: Buffer | string; qos?: 0 | 1 | 2; retain?: boolean };
  protocolName?: string;
  protocolLevel?: number;
  /** OR-ed into the computed connect-flags byte (to set reserved / inconsistent bits) */
  extraFlags?: number;
}

export function connectPacket(o: ConnectOptions = {}): Buffer {
  let flags = 0;
  if (o.clean ?? true) flags |= 0x02;
  const payload: Buffer[] = [mqttString(o.clientId ?? '')];
  if (o.will) {
    flags |= 0x04 | ((o.will.qos ?? 0) << 3) | (o.will.retain ? 0x20 : 0);
    payload.push(mqttString(o.will.topic), mqttString(typeof o.will.payload === 'string' ? Buffer.from(o.will.payload) : o.will.payload));
  }
  if (o.username !== undefined) {
    flags |= 0x80;
    payload.push(mqttString(o.username));
  }
  if (o.password !== undefined) {
    flags |= 0x40;
    payload.push(mqttString(typeof o.password === 'string' ? Buffer.from(o.password) : o.password));
  }
  flags |= o.extraFlags ?? 0;
  const variable = Buffer.concat([mqttString(o.protocolName ?? 'MQTT'), Buffer.from([o.protocolLevel ?? 4, flags & 0xff]), u16(o.keepalive ?? 30)]);
  return rawPacket(PacketType.CONNECT, 0, Buffer.concat([variable, ...payload]));
}

export interface PublishOptions {
  topic: string | Buffer;
  payload?: Buffer | string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
}

export function publishPacket(o: PublishOptions): Buffer {
  const qos = o.qos ?? 0;
  const flags = ((o.dup ? 1 : 0) << 3) | ((qos & 0x03) << 1) | (o.retain ? 1 : 0);
  const parts = [mqttString(o.topic)];
  if (qos > 0) parts.push(u16(o.packetId ?? 1));
  parts.push(typeof o.payload === 'string' ? Buffer.from(o.payload) : (o.payload ?? Buffer.alloc(0)));
  return rawPacket(PacketType.PUBLISH, flags, Buffer.concat(parts));
}

export function subscribePacket(packetId: number, filters: { topic: string; qos: number }[], headerFlags = 0x02): Buffer {
  const body = Buffer.concat([u16(packetId), ...filters.flatMap((f) => [mqttString(f.topic), Buffer.from([f.qos & 0xff])])]);
  return rawPacket(PacketType.SUBSCRIBE, headerFlags, body);
}

export function unsubscribePacket(packetId: number, filters: string[], headerFlags = 0x02): Buffer {
  return rawPacket(PacketType.UNSUBSCRIBE, headerFlags, Buffer.concat([u16(packetId), ...filters.map((f) => mqttString(f))]));
}

export const pubackPacket = (packetId: number): Buffer => rawPacket(PacketType.PUBACK, 0, u16(packetId));
export const pingreqPacket = (): Buffer => rawPacket(PacketType.PINGREQ, 0);
export const disconnectPacket = (): Buffer => rawPacket(PacketType.DISCONNECT, 0);

// ---- decoding ------------------------------------------------------------------------

export interface RawPacket {
  type: number;
  flags: number;
  body: Buffer;
}
export interface Connack {
  type: typeof PacketType.CONNACK;
  sessionPresent: boolean;
  returnCode: number;
}
export interface Suback {
  type: typeof PacketType.SUBACK;
  packetId: number;
  codes: number[];
}
export interface Ack {
  type: typeof PacketType.PUBACK | typeof PacketType.UNSUBACK | typeof PacketType.PUBREC | typeof PacketType.PUBCOMP;
  packetId: number;
}
export interface Publish {
  type: typeof PacketType.PUBLISH;
  topic: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  packetId: number | null;
  payload: Buffer;
}
export interface Other {
  type: number;
  flags: number;
  body: Buffer;
}
export type Decoded = Connack | Suback | Ack | Publish | Other;

export function decode(p: RawPacket): Decoded {
  switch (p.type) {
    case PacketType.CONNACK:
      return { type: PacketType.CONNACK, sessionPresent: (p.body[0]! & 1) === 1, returnCode: p.body[1] ?? -1 };
    case PacketType.SUBACK:
      return { type: PacketType.SUBACK, packetId: p.body.readUInt16BE(0), codes: [...p.body.subarray(2)] };
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBCOMP:
    case PacketType.UNSUBACK:
      return { type: p.type, packetId: p.body.readUInt16BE(0) } as Ack;
    case PacketType.PUBLISH: {
      const qos = (p.flags >> 1) & 3;
      const tlen = p.body.readUInt16BE(0);
      const topic = p.body.subarray(2, 2 + tlen).toString('utf8');
      let pos = 2 + tlen;
      let packetId: number | null = null;
      if (qos > 0) {
        packetId = p.body.readUInt16BE(pos);
        pos += 2;
      }
      return { type: PacketType.PUBLISH, topic, qos, retain: (p.flags & 1) === 1, dup: (p.flags & 8) === 8, packetId, payload: p.body.subarray(pos) };
    }
    default:
      return { type: p.type, flags: p.flags, body: p.body };
  }
}

// ---- the client ----------------------------------------------------------------------

export class RawMqttClient {
  /** every packet received, in order */
  readonly received: Decoded[] = [];
  private buf = Buffer.alloc(0);
  private cursor = 0;
  private waiters: (() => void)[] = [];
  private closedAt: number | null = null;
  private readonly openedAt = Date.now();
  /** answer every incoming QoS 1 PUBLISH with a PUBACK */
  autoPuback = true;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedAt = Date.now();
      this.wake();
    });
  }

  static open(host: string, port: number, timeoutMs = 5000): Promise<RawMqttClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      const t = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(t);
        socket.setNoDelay(true);
        resolve(new RawMqttClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
    });
  }

  get isClosed(): boolean {
    return this.closedAt !== null;
  }

  /** ms from opening the socket to the server closing it (null while open) */
  get closedAfterMs(): number | null {
    return this.closedAt === null ? null : this.closedAt - this.openedAt;
  }

  send(...packets: Buffer[]): void {
    if (this.socket.destroyed || this.closedAt !== null) return;
    this.socket.write(Buffer.concat(packets));
  }

  /** The next not-yet-consumed packet matching `pred`, or null on timeout or close. */
  async next<T extends Decoded = Decoded>(pred: (p: Decoded) => boolean = () => true, timeoutMs = 3000): Promise<T | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.received.length; i++) {
        const p = this.received[i]!;
        if (pred(p)) {
          // consumed packets are marked by swapping them out of the pending window
          this.received.splice(i, 1);
          this.received.splice(this.cursor, 0, p);
          this.cursor++;
          return p as T;
        }
      }
      if (this.closedAt !== null) return null;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await this.waitForActivity(left);
    }
  }

  nextOfType<T extends Decoded>(type: number, timeoutMs = 3000, pred: (p: T) => boolean = () => true): Promise<T | null> {
    return this.next<T>((p) => p.type === type && pred(p as T), timeoutMs);
  }

  /** Collects matching PUBLISH packets for `ms`, or until `count` have arrived. */
  async publishes(pred: (p: Publish) => boolean, ms: number, count = Infinity): Promise<Publish[]> {
    const out: Publish[] = [];
    const deadline = Date.now() + ms;
    while (out.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const p = await this.nextOfType<Publish>(PacketType.PUBLISH, left, pred);
      if (!p) break;
      out.push(p);
    }
    return out;
  }

  /** Resolves true if the server closes the connection within `timeoutMs`. */
  async closed(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.closedAt === null) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.waitForActivity(left);
    }
    return true;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private waitForActivity(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const waiters = this.waiters;
      function done() {
        clearTimeout(t);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 2) break;
      let mult = 1;
      let len = 0;
      let i = 1;
      let complete = false;
      for (; i < this.buf.length && i <= 4; i++) {
        const b = this.buf[i]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      const start = i + 1;
      if (this.buf.length < start + len) break;
      const first = this.buf[0]!;
      const p = decode({ type: first >> 4, flags: first & 0x0f, body: Buffer.from(this.buf.subarray(start, start + len)) });
      this.buf = this.buf.subarray(start + len);
      this.received.push(p);
      if (this.autoPuback && p.type === PacketType.PUBLISH && (p as Publish).qos === 1) this.send(pubackPacket((p as Publish).packetId!));
    }
    this.wake();
  }
}
