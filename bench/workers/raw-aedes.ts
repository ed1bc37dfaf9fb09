/**
 * Reference broker: plain aedes (same version as MedLoop's), no authentication, ACL,
 * validation or metrics. `noDelay: true` is `net.createServer({noDelay:true}, broker.handle)`;
 * false is aedes' documented default listener `net.createServer(broker.handle)` (Nagle on).
 * `cork: 'read'` is the candidate fix measured by pingpong-nagle.ts.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { command, send, workerArgs } from '../lib/worker.js';

interface Args {
  noDelay: boolean;
  maxLifetimeMs: number;
  /**
   * 'read': cork the socket when a read batch arrives, uncork on setImmediate (everything the
   * broker writes while handling that batch leaves in one segment); unset: aedes as shipped
   */
  cork?: 'read';
  /** record a socket-level timeline (reads and writes with MQTT packet types) until `trace` is sent */
  trace?: boolean;
}

const args = workerArgs<Args>(120_000);
const broker = await Aedes.createBroker();
const wall = () => performance.timeOrigin + performance.now();
const timeline: { at: number; dir: 'read' | 'write'; bytes: number; first: number }[] = [];
const handle = (socket: Socket) => {
  broker.handle(socket);
  if (args.cork === 'read') {
    // runs before aedes' own 'readable' handler, which parses and handles the batch
    socket.prependListener('readable', () => {
      if (socket.writableCorked > 0) return;
      socket.cork();
      setImmediate(() => socket.uncork());
    });
  }
  if (args.trace) {
    const orig = socket.write.bind(socket) as (...a: unknown[]) => boolean;
    (socket as unknown as { write: (...a: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
      if (Buffer.isBuffer(chunk) && timeline.length < 100_000) timeline.push({ at: wall(), dir: 'write', bytes: chunk.length, first: chunk[0]! >> 4 });
      return orig(chunk, ...rest);
    };
    socket.prependListener('readable', () => {
      if (timeline.length < 100_000) timeline.push({ at: wall(), dir: 'read', bytes: socket.readableLength, first: -1 });
    });
  }
};
const server = args.noDelay ? createServer({ noDelay: true }, handle) : createServer(handle);
server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }));
if (args.trace) {
  await command('trace', args.maxLifetimeMs);
  send({ type: 'timeline', timeline });
}
