/**
 * Nurse-station load: many socket.io clients (one engine.io connection each, websocket
 * transport) on the live gateway's /live namespace, each subscribed to one room. Every
 * `robot` delta (of the `deltas` frames) whose lastNodeId carries a bench send stamp (`bench:<robot>:<headerId>:<ms>`,
 * see device-fleet.ts) yields one latency sample: receive wall time − send wall time.
 *
 * Commands: `report` {fromWallMs, toWallMs} → `samples` (latencies of messages SENT inside
 * the window, per room counts, other events seen); `end`.
 */
import { io, type Socket } from 'socket.io-client';
import { command, send, workerArgs } from '../lib/worker.js';

interface Args {
  url: string;
  token: string;
  rooms: string[];
  capacity: number;
  connectTimeoutMs: number;
  maxLifetimeMs?: number;
}

interface Delta {
  room: string;
  seq: number;
  event: { type: string; data: { lastNodeId?: string | null } };
}

const args = workerArgs<Args>(900_000);
const wall = () => performance.timeOrigin + performance.now();
const sentAt = new Float64Array(args.capacity);
const latency = new Float64Array(args.capacity);
const roomOf = new Uint16Array(args.capacity);
let n = 0;
let overflow = 0;
const counts = { snapshot: 0, resumed: 0, position: 0, frames: 0, otherDelta: 0, error: 0, disconnects: 0, gaps: 0 };
const sockets: Socket[] = [];

await Promise.all(
  args.rooms.map(
    (room, ci) =>
      new Promise<void>((resolve, reject) => {
        const s = io(`${args.url}/live`, {
          auth: { token: args.token },
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          timeout: args.connectTimeoutMs,
        });
        sockets.push(s);
        let lastSeq = -1;
        const t = setTimeout(() => reject(new Error(`client ${ci} (${room}): no snapshot after ${args.connectTimeoutMs} ms`)), args.connectTimeoutMs);
        s.on('connect_error', (e) => reject(new Error(`client ${ci} (${room}): ${e.message}`)));
        s.on('connect', () => s.emit('subscribe', { room }));
        s.on('snapshot', (snap: { seq: number }) => {
          counts.snapshot++;
          lastSeq = snap.seq;
          clearTimeout(t);
          resolve();
        });
        s.on('resumed', () => counts.resumed++);
        s.on('positions', (samples: unknown[]) => (counts.position += samples.length));
        s.on('error', () => counts.error++);
        s.on('disconnect', () => counts.disconnects++);
        s.on('deltas', (batch: Delta[]) => {
          const now = wall();
          counts.frames++;
          for (const d of batch) {
            if (lastSeq >= 0 && d.seq !== lastSeq + 1) counts.gaps++;
            lastSeq = d.seq;
            const id = d.event.type === 'robot' ? d.event.data.lastNodeId : null;
            if (!id || !id.startsWith('bench:')) {
              counts.otherDelta++;
              continue;
            }
            const stamp = Number(id.slice(id.lastIndexOf(':') + 1));
            if (n >= args.capacity) {
              overflow++;
              continue;
            }
            sentAt[n] = stamp;
            latency[n] = now - stamp;
            roomOf[n] = ci;
            n++;
          }
        });
      }),
  ),
);
send({ type: 'ready' });

const r = await command<{ type: 'report'; fromWallMs: number; toWallMs: number }>('report', 900_000);
// grouped by client, in client order: perClient[k] samples of client k follow those of k-1
const byClient: number[][] = args.rooms.map(() => []);
for (let i = 0; i < n; i++) {
  if (sentAt[i]! < r.fromWallMs || sentAt[i]! >= r.toWallMs) continue;
  byClient[roomOf[i]!]!.push(latency[i]!);
}
const perClient = byClient.map((xs) => xs.length);
const out = byClient.flat();
send({
  type: 'samples',
  samples: Float64Array.from(out),
  perClient,
  rooms: args.rooms,
  counts,
  overflow,
  stillConnected: sockets.filter((s) => s.connected).length,
});
await command('end', 60_000).catch(() => undefined);
for (const s of sockets) s.disconnect();
process.exit(0);
