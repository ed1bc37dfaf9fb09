/**
 * The broker's network listeners: MQTT over TCP, optional MQTT over TLS, and MQTT over
 * WebSocket. Every socket has Nagle's algorithm switched off — with it on, each small QoS 1
 * acknowledgement waits for the peer's delayed ACK and a round trip costs ~40 ms instead of ~1.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';

/** A port that is taken, reported with the variable a user changes to fix it. */
export class PortInUseError extends Error {
  constructor(
    readonly variable: string,
    readonly port: number,
    host: string,
  ) {
    super(`${variable}=${port}: port ${port} on ${host} is already in use by another process; set ${variable} to a free port (0 picks any free port)`);
    this.name = 'PortInUseError';
  }
}

export type ConnectionHandler = (stream: Duplex, req?: IncomingMessage) => void;

export interface ListenerSpec {
  kind: 'tcp' | 'tls' | 'ws';
  host: string;
  port: number;
  /** the configuration variable that sets this port, for error messages */
  variable: string;
  tls?: { certPath: string; keyPath: string };
}

export interface RunningListener {
  kind: ListenerSpec['kind'];
  port: number;
  close(): Promise<void>;
}

/**
 * Socket write buffer before backpressure. aedes waits for 'drain' whenever a write returns
 * false, and every such wait holds one of its delivery slots: a subscriber that stopped
 * reading would hold them all until the drain timeout, and every other subscriber would wait
 * behind it. So writes get a roomy buffer (a burst fits without a false return), and QoS 0
 * to a subscriber whose backlog already exceeds SLOW_CONSUMER_BYTES is dropped instead of
 * queued (see authorizeForward). Nothing is allocated up front: these are limits.
 */
export const SOCKET_HIGH_WATER_MARK = 8 * 1024 * 1024;
export const SLOW_CONSUMER_BYTES = 1024 * 1024;

/**
 * Connections waiting to be accepted (the kernel caps it at net.core.somaxconn, 4096 here).
 * Node's default of 511 overflows when thousands of devices reconnect at once after a restart;
 * a dropped SYN is retried only after 1, 3, 7 … s, which is what the last devices wait.
 */
const LISTEN_BACKLOG = 4096;

export async function startListener(spec: ListenerSpec, onConnection: ConnectionHandler, sockets: Set<Socket>): Promise<RunningListener> {
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  let server: NetServer | HttpServer;
  let wss: WebSocketServer | undefined;
  if (spec.kind === 'tcp') {
    server = createNetServer({ noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK }, (socket) => {
      track(socket);
      onConnection(socket);
    });
  } else if (spec.kind === 'tls') {
    const tls = spec.tls!;
    server = createTlsServer(
      { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath), highWaterMark: SOCKET_HIGH_WATER_MARK },
      (socket: TLSSocket) => {
        socket.setNoDelay(true);
        track(socket);
        onConnection(socket);
      },
    );
  } else {
    const http = createHttpServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n');
    });
    http.on('connection', (s: Socket) => {
      s.setNoDelay(true);
      track(s);
    });
    wss = new WebSocketServer({
      server: http,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
    });
    wss.on('connection', (ws, req) => onConnection(createWebSocketStream(ws, { writableHighWaterMark: SOCKET_HIGH_WATER_MARK }), req));
    server = http;
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(spec.variable, spec.port, spec.host) : err);
    };
    server.once('error', onError);
    server.listen({ port: spec.port, host: spec.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // a listener error after start (e.g. EMFILE) must not crash the process
  server.on('error', () => undefined);
  const port = (server.address() as AddressInfo).port;
  return {
    kind: spec.kind,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        wss?.close();
        server.close(() => resolve());
      }),
  };
}
