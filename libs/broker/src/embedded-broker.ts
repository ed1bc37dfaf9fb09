/**
 * The embedded MQTT broker: aedes behind our own listeners, with authentication,
 * per-principal topic ACLs (from libs/domain), payload ingestion hooks, a packet-size cap, a
 * per-device rejection budget and the MQTT 3.1.1 conformance fixes aedes lacks.
 * Framework-free; the control plane owns its lifecycle.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import proxyaddr from 'proxy-addr';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket, type Subscription } from 'aedes';
import { rejectionTopic, topicFamily, type RejectionEvent } from '#contracts';
import { type AdmitVerdict, compileAcl, type CompiledAcl, type Principal, RejectionBudget, type RejectionBudgetPolicy, topicMatches } from '#domain';
import { limitPacketSize } from './frame-limit.js';
import { createMessageQueue, type MessageQueue } from './message-queue.js';
import { guardProtocol } from './protocol-guards.js';
import { keepCountWhilePaused } from './read-pause.js';
import { SLOW_CONSUMER_BYTES, startListener, type ListenerSpec, type RunningListener } from './listeners.js';

/** `locked`: too many failed attempts; refused before the password is checked */
export type AuthFailure = 'bad_credentials' | 'revoked' | 'not_authorized' | 'unavailable' | 'locked';
/**
 * `generation`: the credential generation the secret was checked against (a device's; absent
 * for principals without one). A result older than the device's last revocation or rotation
 * is refused, however late it arrives.
 */
export type AuthResult = { ok: true; principal: Principal; generation?: number } | { ok: false; reason: AuthFailure };

export interface BrokerSession {
  readonly principal: Principal;
  /** the registered device behind the connection (null for the internal principal) */
  readonly deviceId: string | null;
  /** the MQTT client id as the device sent it */
  readonly clientId: string;
  readonly acl: CompiledAcl;
  readonly connectedAt: Date;
  /** the peer's address: the TCP peer, or behind a trusted proxy the address it forwarded */
  readonly remoteAddress: string | undefined;
  /** the credential generation it was authorised against (0 when the principal has none) */
  readonly generation: number;
}

export interface IngestMessage {
  readonly session: BrokerSession;
  readonly topic: string;
  readonly family: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** true for a last-will message the broker publishes on the device's behalf */
  readonly will: boolean;
}

export type IngestResult = { ok: true } | { ok: false; reason: string; errors: { path: string; message: string }[] };

export interface BrokerHooks {
  authenticate(username: string, password: Buffer, info: { clientId: string; remoteAddress: string | undefined }): Promise<AuthResult>;
  /** Validates and applies a device message; a rejection stops it reaching any subscriber. */
  ingest?(msg: IngestMessage): IngestResult | Promise<IngestResult>;
}

export interface BrokerObserver {
  connected?(s: BrokerSession): void;
  /**
   * graceful: the client sent DISCONNECT (otherwise its will, if any, was published unless a
   * live session superseded it); remaining: the device's sessions still connected
   */
  disconnected?(s: BrokerSession, graceful: boolean, remaining: number): void;
  authFailed?(reason: AuthFailure | 'no_credentials', username: string | undefined): void;
  denied?(s: BrokerSession, action: 'publish' | 'subscribe' | 'will', topic: string, reason: string): void;
  messageIn?(family: string, bytes: number): void;
  messageOut?(family: string): void;
  rejected?(s: BrokerSession, family: string, reason: string): void;
  /** the device went over its rejection budget: its messages are dropped unread until `until` */
  throttled?(s: BrokerSession, family: string, until: Date): void;
  /** a message of a throttled device was acknowledged and dropped before it was parsed */
  throttleDropped?(s: BrokerSession, family: string, bytes: number): void;
  /** a throttled device kept sending and this session was closed; `dropped` since the throttle began */
  throttleDisconnected?(s: BrokerSession, dropped: number): void;
  droppedSlowConsumer?(family: string): void;
  /** a publisher was paused because the message queue is over its high-water mark */
  backpressure?(): void;
  clientError?(s: BrokerSession | undefined, err: Error): void;
}

export interface EmbeddedBrokerOptions {
  listeners: ListenerSpec[];
  maxPacketBytes: number;
  hooks: BrokerHooks;
  observer?: BrokerObserver;
  /** a subscriber whose socket stays full this long is disconnected */
  drainTimeoutMs?: number;
  /** QoS 0 messages to a subscriber with more than this many bytes unsent are dropped */
  slowConsumerBytes?: number;
  /** rejected input one device may send (see RejectionBudget); unset: no limit */
  rejectionBudget?: RejectionBudgetPolicy;
  /**
   * Proxies whose X-Forwarded-For is believed on the WebSocket listener (proxy-addr syntax:
   * addresses, CIDRs, `loopback`…); unset or empty: the TCP peer is the client.
   */
  trustedProxies?: readonly string[];
}

/**
 * What a rejection event may carry back to the device: a payload of 250 KB can fail a schema
 * in thousands of places, and some messages quote the value at fault. The device gets the
 * first errors, each clipped, and the number left out; never its payload echoed.
 */
export const REJECTION_MAX_ERRORS = 20;
export const REJECTION_MAX_TEXT = 200;

const SESSION = Symbol('medloop.session');
const ADDRESS = Symbol('medloop.address');
type SessionClient = Client & {
  [SESSION]?: BrokerSession;
  [ADDRESS]?: string | undefined;
  pause(): void;
  resume(): void;
  _parser?: unknown;
  _nextBatch(err?: Error | null): void;
  conn: Duplex;
  _will?: PublishPacket | null;
};

/** Messages delivered concurrently by the bus; more wait in its queue. */
const MQ_CONCURRENCY = 1000;
/**
 * Queue length at which publishers stop being read, and at which they resume. Kept small on
 * purpose: mqemitter's queue is an array drained with shift(), which costs O(length) once the
 * array is large, so a long queue also gets slower to drain.
 */
const MQ_HIGH_WATER = 5_000;
const MQ_LOW_WATER = 1_000;

const AUTH_RETURN_CODE: Record<AuthFailure, number> = { bad_credentials: 4, revoked: 5, not_authorized: 5, unavailable: 3, locked: 5 };
const INTERNAL_ERROR: IngestResult = { ok: false, reason: 'internal_error', errors: [{ path: '', message: 'the message could not be processed' }] };
const EMPTY = Buffer.alloc(0);

export class EmbeddedBroker {
  private aedes: Aedes | null = null;
  private listeners: RunningListener[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly byDevice = new Map<string, Set<SessionClient>>();
  /**
   * Per device, the oldest credential generation still good (raised by disconnectDevice). It
   * outlives the device's sessions: an authorisation that read the credential before a
   * revocation committed and answers after it is refused by it.
   */
  private readonly generationFloor = new Map<string, number>();
  /** sessions closed because their credential was revoked or rotated: their will is not theirs to send */
  private readonly invalidated = new WeakSet<SessionClient>();
  private readonly trustProxy: ((addr: string, i: number) => boolean) | null;
  private readonly familyCache = new Map<string, string>();
  private closing = false;
  private mq: MessageQueue | null = null;
  /** publishers we stopped reading from while the message queue was over its high-water mark */
  private readonly paused = new Set<SessionClient>();
  private resumeTimer: NodeJS.Timeout | null = null;
  private readonly budget: RejectionBudget | null;
  /** throttled devices we stopped reading from, until their budget has refilled */
  private readonly throttlePauses = new Map<SessionClient, NodeJS.Timeout>();
  /** packets acknowledged but routed nowhere (dropped messages of throttled devices) */
  private readonly unrouted = new WeakSet<PublishPacket>();

  constructor(private readonly opts: EmbeddedBrokerOptions) {
    this.budget = opts.rejectionBudget ? new RejectionBudget(opts.rejectionBudget) : null;
    this.trustProxy = opts.trustedProxies?.length ? proxyaddr.compile([...opts.trustedProxies]) : null;
  }

  get started(): boolean {
    return this.aedes !== null && !this.closing;
  }

  /** Bound ports by listener kind (useful when configured with port 0). */
  get ports(): Partial<Record<ListenerSpec['kind'], number>> {
    return Object.fromEntries(this.listeners.map((l) => [l.kind, l.port]));
  }

  /** Open client sockets on every listener (for diagnostics and tests). */
  get openSockets(): ReadonlySet<Socket> {
    return this.sockets;
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const mq = createMessageQueue(MQ_CONCURRENCY);
    this.mq = mq;
    const aedes = await Aedes.createBroker({
      mq,
      concurrency: MQ_CONCURRENCY,
      drainTimeout: this.opts.drainTimeoutMs ?? 10_000,
      maxClientsIdLength: 512,
      heartbeatInterval: 60_000,
      preConnect: (client, packet, cb) => this.preConnect(client as SessionClient, packet, cb),
      authenticate: (client, username, password, cb) => this.authenticate(client as SessionClient, username, password, cb),
      authorizePublish: (client, packet, cb) => this.authorizePublish(client as SessionClient | null, packet, cb),
      authorizeSubscribe: (client, sub, cb) => this.authorizeSubscribe(client as SessionClient, sub, cb),
      authorizeForward: (client, packet) => this.authorizeForward(client as SessionClient, packet),
    });
    this.aedes = aedes;
    // aedes' PUBLISH handler acknowledges a message and then publishes it; a dropped message
    // ends here instead (on the next turn, so a batch of them cannot recurse into the parser)
    const route = aedes.publish.bind(aedes) as (packet: PublishPacket, client: unknown, done?: unknown) => void;
    (aedes as unknown as { publish: typeof route }).publish = (packet, client, done) => {
      if (!this.unrouted.has(packet)) return route(packet, client, done);
      this.unrouted.delete(packet);
      const cb = typeof client === 'function' ? client : done;
      if (typeof cb === 'function') setImmediate(cb as () => void);
    };
    aedes.on('clientReady', (client) => this.onReady(client as SessionClient));
    aedes.on('clientDisconnect', (client) => this.onGone(client as SessionClient));
    aedes.on('clientError', (client, err) => this.opts.observer?.clientError?.((client as SessionClient)[SESSION], err));
    aedes.on('connectionError', (client, err) => this.opts.observer?.clientError?.(undefined, err));
    const handle = (stream: Duplex, req?: IncomingMessage) => {
      if (this.closing) {
        stream.destroy();
        return;
      }
      const client = aedes.handle(stream, req) as SessionClient;
      // a WebSocket stream has no address of its own: the upgrade request's socket has, or a
      // trusted proxy's X-Forwarded-For (each device then has its own throttle key, not one
      // shared by every WebSocket client)
      client[ADDRESS] = req ? (this.trustProxy ? proxyaddr(req, this.trustProxy) : req.socket.remoteAddress) : (stream as Partial<Socket>).remoteAddress;
      limitPacketSize(client._parser as Parameters<typeof limitPacketSize>[0], this.opts.maxPacketBytes, () => undefined);
      guardProtocol(client._parser as Parameters<typeof guardProtocol>[0], stream);
      keepCountWhilePaused(client);
    };
    try {
      for (const spec of this.opts.listeners) this.listeners.push(await startListener(spec, handle, this.sockets));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Publishes on behalf of the server (internal principal: bypasses device ACLs). */
  publish(topic: string, payload: string | Buffer, options: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('broker is not running'));
    const packet = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: false,
    } as PublishPacket;
    return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  isDeviceConnected(deviceId: string): boolean {
    return (this.byDevice.get(deviceId)?.size ?? 0) > 0;
  }

  /**
   * Whether a live session of the device (connected, not dropped) holds a subscription whose
   * filter matches `topic`, i.e. whether a message published there now reaches the device.
   * Connected is not enough: a robot may announce itself ONLINE before its SUBSCRIBE (the
   * project's crash-recovery test saw it after a restart), and a QoS 0 command published in
   * that window reaches nobody.
   */
  isDeviceSubscribed(deviceId: string, topic: string): boolean {
    for (const c of this.byDevice.get(deviceId) ?? []) {
      if (!c.connected || c.closed || this.invalidated.has(c)) continue;
      const filters = (c as unknown as { subscriptions?: Record<string, unknown> }).subscriptions;
      for (const filter in filters ?? {}) if (topicMatches(filter, topic)) return true;
    }
    return false;
  }

  private hasOtherLiveSession(deviceId: string, client: SessionClient): boolean {
    for (const c of this.byDevice.get(deviceId) ?? []) if (c !== client && !c.closed) return true;
    return false;
  }

  /**
   * Drops every session of a device authorised against a credential generation older than
   * `generation` (a revocation or rotation committed it), and refuses such sessions from now
   * on: one still being authorised is refused when its answer comes back, one registered but
   * not yet acknowledged is closed here too (sessions are registered before their CONNACK).
   * Without a generation every session of the device is dropped.
   */
  disconnectDevice(deviceId: string, generation?: number): number {
    if (generation !== undefined) this.generationFloor.set(deviceId, Math.max(generation, this.generationFloor.get(deviceId) ?? 0));
    const clients = this.byDevice.get(deviceId);
    if (!clients) return 0;
    let n = 0;
    for (const c of [...clients]) {
      const s = c[SESSION];
      if (generation !== undefined && s && !this.isStale(s)) continue;
      this.invalidated.add(c);
      // one authorised but not yet acknowledged is closed the moment it is ready (onReady):
      // closed before, aedes would still register it afterwards and never forget it; until
      // then nothing it sends is accepted (authorizePublish)
      if (c.connected) c.close();
      n++;
    }
    return n;
  }

  private isStale(s: BrokerSession): boolean {
    return s.deviceId !== null && s.generation < (this.generationFloor.get(s.deviceId) ?? 0);
  }

  /** Disconnects every client (used by reliability tests and graceful shutdown). */
  disconnectAll(): void {
    for (const clients of this.byDevice.values()) for (const c of [...clients]) c.close();
  }

  /** Stops accepting, disconnects clients, and closes aedes. Idempotent. */
  async stop(): Promise<void> {
    if (this.closing && !this.aedes) return;
    this.closing = true;
    const listeners = this.listeners;
    this.listeners = [];
    if (this.resumeTimer) clearInterval(this.resumeTimer);
    this.resumeTimer = null;
    for (const t of this.throttlePauses.values()) clearTimeout(t);
    this.throttlePauses.clear();
    const closed = Promise.all(listeners.map((l) => l.close()));
    const aedes = this.aedes;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.aedes = null;
  }

  // ---- aedes hooks -------------------------------------------------------------------

  private preConnect(
    client: SessionClient,
    packet: { clientId: string; clean?: boolean; username?: string; password?: Buffer },
    cb: (err: Error | null, ok: boolean) => void,
  ): void {
    // MQTT-3.1.2-22 / MQTT-3.1.4-1: a password without a user name is a malformed CONNECT:
    // close without a CONNACK
    if (packet.password !== undefined && packet.username === undefined) {
      return cb(new Error('malformed CONNECT: password flag set without user name flag'), false);
    }
    // MQTT-3.1.3-8: a zero-byte client id with CleanSession=0 gets CONNACK 0x02, then close
    if (packet.clientId === '' && packet.clean === false) {
      writeConnackAndClose(client, 2);
      return cb(new Error('identifier rejected: empty client id requires a clean session'), false);
    }
    // Sessions are keyed by client id; namespacing them by username means a device that
    // reuses another device's client id can neither take over nor inherit its session.
    if (packet.clientId !== '') packet.clientId = `${packet.username ?? ''}\u0000${packet.clientId}`;
    cb(null, true);
  }

  private authenticate(
    client: SessionClient,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: (Error & { returnCode: number }) | null, ok: boolean | null) => void,
  ): void {
    const fail = (reason: AuthFailure | 'no_credentials', code: number, message: string) => {
      this.opts.observer?.authFailed?.(reason, username);
      cb(Object.assign(new Error(message), { returnCode: code }), null);
    };
    if (!username || !password) return fail('no_credentials', 4, 'username and password required');
    const clientId = displayClientId(client.id);
    const remoteAddress = client[ADDRESS];
    this.opts.hooks.authenticate(username, password, { clientId, remoteAddress }).then(
      (res) => {
        // hung up while being checked: aedes drops this answer, and a session registered now
        // would never see its connection close (it already has)
        if (client.closed || client.conn.destroyed) return;
        if (!res.ok) return fail(res.reason, AUTH_RETURN_CODE[res.reason], res.reason);
        const session: BrokerSession = {
          principal: res.principal,
          deviceId: res.principal.type === 'internal' ? null : res.principal.deviceId,
          clientId,
          acl: compileAcl(res.principal),
          connectedAt: new Date(),
          remoteAddress,
          generation: res.generation ?? 0,
        };
        // the credential was revoked or rotated while it was being checked: the answer is stale
        if (this.isStale(session)) return fail('revoked', AUTH_RETURN_CODE.revoked, 'credential revoked or rotated during authentication');
        // a will outside the device's space is refused at CONNECT, as Mosquitto does
        const will = client._will;
        if (will) {
          const d = session.acl.canPublish(will.topic);
          if (!d.allowed) {
            this.opts.observer?.denied?.(session, 'will', will.topic, d.reason);
            return fail('not_authorized', 5, `will: ${d.reason}`);
          }
        }
        client[SESSION] = session;
        // registered now, before aedes sends the CONNACK: a revocation from here on finds it
        this.register(client, session);
        cb(null, true);
      },
      () => fail('unavailable', 3, 'authentication backend unavailable'),
    );
  }

  private authorizePublish(client: SessionClient | null, packet: PublishPacket, cb: (err?: Error | null) => void): void {
    // a will left over from a client that no longer exists was authorized when it connected
    if (!client) return cb(null);
    const session = client[SESSION];
    if (!session) return cb(new Error('not authenticated'));
    const isWill = packet === (client as unknown as { will: unknown }).will;
    if (this.invalidated.has(client) || this.isStale(session)) {
      // its credential was revoked or rotated: nothing more is published in its name, its
      // will included (what is left of a batch read before the close arrives here too)
      this.opts.observer?.rejected?.(session, this.family(packet.topic), isWill ? 'will_revoked' : 'session_revoked');
      if (!client.closed) {
        this.invalidated.add(client);
        client.close();
      }
      return cb(new Error('the device credential was revoked or rotated'));
    }
    const d = session.acl.canPublish(packet.topic);
    if (!d.allowed) {
      this.opts.observer?.denied?.(session, 'publish', packet.topic, d.reason);
      // MQTT-3.3.5-2: with no way to tell a 3.1.1 client, close the connection
      return cb(new Error(d.reason));
    }
    const family = this.family(packet.topic);
    // Not for an integration: its sessions are separate clients of the hospital's systems (a
    // bridge runs several, each with its own client id and will), not links of one device, so
    // another live session says nothing about this client's link and its will is its own.
    if (isWill && session.deviceId && session.principal.type !== 'integration' && this.hasOtherLiveSession(session.deviceId, client)) {
      // the device is connected on another session (it reconnected before this link was
      // noticed dead): its will would announce a broken link that is not broken, and as a
      // retained message would keep saying so
      this.opts.observer?.rejected?.(session, family, 'will_superseded');
      return cb(new Error('last will superseded by a live session of the device'));
    }
    const payload = packet.payload as Buffer;
    this.opts.observer?.messageIn?.(family, payload.length);
    if (this.mq && this.mq.length > MQ_HIGH_WATER) this.pausePublisher(client);
    // a will is the broker's, published once the device is gone: never throttled
    if (this.budget && session.deviceId && !isWill) {
      const v = this.budget.admit(session.deviceId, payload.length, performance.now());
      if (v.action !== 'pass') return this.dropThrottled(client, session, packet, family, v, cb);
    }
    const ingest = this.opts.hooks.ingest;
    if (!ingest) return cb(null);
    const msg: IngestMessage = { session, topic: packet.topic, family, payload, qos: packet.qos, retain: packet.retain, will: isWill };
    let result: IngestResult | Promise<IngestResult>;
    try {
      result = ingest(msg);
    } catch (err) {
      result = INTERNAL_ERROR;
      this.opts.observer?.clientError?.(session, err as Error);
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.finishIngest(client, msg, packet, r, cb),
        (err: Error) => {
          this.opts.observer?.clientError?.(session, err);
          this.finishIngest(client, msg, packet, INTERNAL_ERROR, cb);
        },
      );
    } else {
      this.finishIngest(client, msg, packet, result, cb);
    }
  }

  /**
   * A rejected message is acknowledged (MQTT-3.3.5-2 allows it) but never routed: the packet
   * is turned into a rejection event on the sender's own rejection topic, so the device can
   * learn why and no subscriber ever sees the bad payload. The event is bounded whatever the
   * payload was, and the rejection is charged to the device's budget.
   */
  private finishIngest(client: SessionClient, msg: IngestMessage, packet: PublishPacket, r: IngestResult, cb: (err?: Error | null) => void): void {
    if (r.ok) return cb(null);
    const { session, family } = msg;
    this.opts.observer?.rejected?.(session, family, r.reason);
    const event: RejectionEvent = { topic: msg.topic, reason: r.reason, errors: boundErrors(r.errors), at: new Date().toISOString() };
    packet.topic = rejectionTopic(session.deviceId ?? 'server');
    packet.payload = Buffer.from(JSON.stringify(event));
    packet.retain = false;
    cb(null);
    if (this.budget && session.deviceId && !msg.will) this.chargeRejection(client, msg, this.budget);
  }

  /**
   * Charges a rejection to the device's budget: overdrawn, the device is throttled and told so;
   * overdrawn again right after a throttle, it is disconnected.
   */
  private chargeRejection(client: SessionClient, msg: IngestMessage, budget: RejectionBudget): void {
    const { session, family, topic } = msg;
    const now = performance.now();
    const v = budget.rejected(session.deviceId!, msg.payload.length, now);
    if (v.action === 'ok') return;
    const until = new Date(Date.now() + (v.until - now));
    this.opts.observer?.throttled?.(session, family, until);
    if (v.action === 'disconnect') {
      if (client.closed) return;
      this.opts.observer?.throttleDisconnected?.(session, v.dropped);
      client.close();
      return;
    }
    const p = budget.policy;
    const event: RejectionEvent = {
      topic,
      reason: 'throttled',
      errors: [
        {
          path: '',
          message: `more than ${p.maxPerSec} rejected messages or ${p.maxBytesPerSec} rejected bytes per second: every message is acknowledged and dropped unread until ${until.toISOString()}; keep sending and the connection is closed`,
        },
      ],
      at: new Date().toISOString(),
    };
    this.publish(rejectionTopic(session.deviceId!), JSON.stringify(event)).catch(() => undefined);
  }

  /**
   * A throttled device's message is acknowledged like any other (the server may discard a
   * message it acknowledged, as for a rejection) but never parsed, validated or routed: the
   * cost of a 250 KB payload is its bytes on the socket. While its budget is in debt the
   * device is not read at all (TCP backpressure); one that keeps sending is disconnected.
   */
  private dropThrottled(
    client: SessionClient,
    session: BrokerSession,
    packet: PublishPacket,
    family: string,
    v: Exclude<AdmitVerdict, { action: 'pass' }>,
    cb: (err?: Error | null) => void,
  ): void {
    const bytes = (packet.payload as Buffer).length;
    this.unrouted.add(packet);
    packet.payload = EMPTY;
    this.opts.observer?.throttleDropped?.(session, family, bytes);
    cb(null);
    // the rest of a batch read before the close still arrives here
    if (client.closed) return;
    if (v.action === 'disconnect') {
      this.opts.observer?.throttleDisconnected?.(session, v.dropped);
      client.close();
    } else if (v.pauseMs > 0 && !this.throttlePauses.has(client)) {
      client.pause();
      const timer = setTimeout(() => {
        this.throttlePauses.delete(client);
        // a publisher the message queue paused is resumed by the queue
        if (!client.closed && !this.paused.has(client)) client.resume();
      }, v.pauseMs);
      timer.unref();
      this.throttlePauses.set(client, timer);
    }
  }

  private authorizeSubscribe(client: SessionClient, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void): void {
    const session = client[SESSION];
    if (!session) return cb(new Error('not authenticated'));
    if (this.invalidated.has(client) || this.isStale(session)) return cb(new Error('the device credential was revoked or rotated'));
    const d = session.acl.canSubscribe(sub.topic);
    if (d.allowed) return cb(null, sub);
    this.opts.observer?.denied?.(session, 'subscribe', sub.topic, d.reason);
    cb(null, null); // SUBACK 0x80 for this filter; the connection stays up (MQTT-3.9.3)
  }

  private authorizeForward(client: SessionClient, packet: AedesPublishPacket): AedesPublishPacket | null {
    const family = this.family(packet.topic);
    // a session dropped for a revocation or rotation receives nothing more: a persistent one
    // raced past its authorisation would otherwise be handed its queued QoS 1 messages before
    // onReady closes it (aedes empties the queue first). aedes forgets a message refused here;
    // what MedLoop sends a robot is re-sent by the fleet when it reconnects with its new secret
    const s = client[SESSION];
    if (!s || this.invalidated.has(client) || this.isStale(s)) {
      if (s) this.opts.observer?.rejected?.(s, family, 'forward_revoked');
      return null;
    }
    // QoS 0 is at-most-once: a subscriber that stopped reading loses QoS 0 messages instead
    // of holding a delivery slot that every other subscriber would wait behind
    if (packet.qos === 0 && client.conn.writableLength > (this.opts.slowConsumerBytes ?? SLOW_CONSUMER_BYTES)) {
      this.opts.observer?.droppedSlowConsumer?.(family);
      return null;
    }
    this.opts.observer?.messageOut?.(family);
    return packet;
  }

  /**
   * Backpressure: while the queue is over its high-water mark, stop reading from publishers;
   * TCP then slows them down, and no message they already sent is dropped.
   */
  private pausePublisher(client: SessionClient): void {
    if (this.paused.has(client)) return;
    client.pause();
    this.paused.add(client);
    this.opts.observer?.backpressure?.();
    this.resumeTimer ??= setInterval(() => {
      if (this.mq && this.mq.length > MQ_LOW_WATER) return;
      for (const c of this.paused) if (!c.closed && !this.throttlePauses.has(c)) c.resume();
      this.paused.clear();
      clearInterval(this.resumeTimer!);
      this.resumeTimer = null;
    }, 5);
  }

  /**
   * A device's session joins its device's set the moment it is authorised (before its
   * CONNACK), and leaves it when its connection closes, whether or not it ever became ready.
   */
  private register(client: SessionClient, s: BrokerSession): void {
    if (!s.deviceId) return;
    const deviceId = s.deviceId;
    let set = this.byDevice.get(deviceId);
    if (!set) this.byDevice.set(deviceId, (set = new Set()));
    set.add(client);
    client.conn.once('close', () => this.unregister(client, deviceId));
  }

  private unregister(client: SessionClient, deviceId: string): number {
    const set = this.byDevice.get(deviceId);
    set?.delete(client);
    if (set && set.size === 0) this.byDevice.delete(deviceId);
    return set?.size ?? 0;
  }

  private onReady(client: SessionClient): void {
    const s = client[SESSION];
    if (!s) return;
    this.opts.observer?.connected?.(s);
    // revoked or rotated between its authorisation and now
    if ((this.invalidated.has(client) || this.isStale(s)) && !client.closed) {
      this.invalidated.add(client);
      client.close();
    }
  }

  private onGone(client: SessionClient): void {
    this.paused.delete(client);
    const pause = this.throttlePauses.get(client);
    if (pause) clearTimeout(pause);
    this.throttlePauses.delete(client);
    const s = client[SESSION];
    if (!s) return;
    const remaining = s.deviceId ? this.unregister(client, s.deviceId) : 0;
    this.opts.observer?.disconnected?.(s, (client as unknown as { _disconnected?: boolean })._disconnected === true, remaining);
  }

  private family(topic: string): string {
    let f = this.familyCache.get(topic);
    if (f === undefined) {
      if (this.familyCache.size > 50_000) this.familyCache.clear();
      f = topicFamily(topic);
      this.familyCache.set(topic, f);
    }
    return f;
  }
}

function boundErrors(errors: readonly { path: string; message: string }[]): { path: string; message: string }[] {
  const clip = (s: string) => (s.length > REJECTION_MAX_TEXT ? `${s.slice(0, REJECTION_MAX_TEXT - 1)}…` : s);
  const out = errors.slice(0, REJECTION_MAX_ERRORS).map((e) => ({ path: clip(String(e.path)), message: clip(String(e.message)) }));
  if (errors.length > REJECTION_MAX_ERRORS) out.push({ path: '', message: `${errors.length - REJECTION_MAX_ERRORS} more errors not shown` });
  return out;
}

function displayClientId(id: string | null | undefined): string {
  if (!id) return '';
  const i = id.indexOf('\u0000');
  return i >= 0 ? id.slice(i + 1) : id;
}

function writeConnackAndClose(client: SessionClient, returnCode: number): void {
  // [cmd=CONNACK][remaining length 2][session present 0][return code]
  client.conn.write(Buffer.from([0x20, 0x02, 0x00, returnCode]));
}
