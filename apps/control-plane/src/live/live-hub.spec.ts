/**
 * LiveHub's frames with a fake socket.io socket (pure logic: no network): a quiet room's delta
 * goes out at once, deltas within LIVE_BATCH_MS of the last flush wait for one frame, a forced
 * flush sends them early and cancels the pending timer, and later flushes still happen.
 */
import { describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io';
import type { LiveDelta, LiveSnapshot } from '#contracts';
import type { AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { LiveHub } from './live-hub.service.js';
import type { LiveSnapshots } from './live-read-model.service.js';
import { LiveMetrics } from './live.metrics.js';

function fakeSocket(id: string, frames: LiveDelta[][]): Socket {
  const nsp = { to: () => ({ emit: (_e: string, batch: LiveDelta[]) => frames.push(batch) }) };
  return { id, nsp, conn: { on: () => undefined, writeBuffer: [] }, emit: () => true } as unknown as Socket;
}

function hub(): LiveHub {
  const config = { live: { positionHz: 2, replayBuffer: 100, clientMaxBuffer: 64, batchMs: 50 } } as AppConfig;
  const snapshots = {
    snapshot: (room, seq, epoch): LiveSnapshot => ({ room, epoch, seq, at: '', robots: [], missions: [], alarms: [], sensors: [] }),
  } as LiveSnapshots;
  return new LiveHub(config, new LiveMetrics(new MetricsService()), snapshots);
}

const event = (n: number) => ({ type: 'custody.order_changed' as const, data: { orderId: `o-${n}`, status: 'verified', ward: 'W' } });
const nextImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LiveHub flush scheduling', () => {
  it('sends at once when quiet, batches under load, and keeps flushing after a forced flush', async () => {
    const h = hub();
    const frames: LiveDelta[][] = [];
    const c = h.addClient(fakeSocket('s1', frames), { id: 'u', username: 'u', role: 'admin', wards: [] });
    h.join(c, 'site');
    h.publish('site', event(1));
    await nextImmediate();
    expect(frames.map((f) => f.length)).toEqual([1]);
    // within LIVE_BATCH_MS of that flush: held for a timed flush, then forced out early
    h.publish('site', event(2));
    h.publish('site', event(3));
    expect(frames).toHaveLength(1);
    h.flush();
    expect(frames.map((f) => f.map((d) => d.seq))).toEqual([[1], [2, 3]]);
    // the hub's next flush happens
    await nextImmediate();
    await new Promise((resolve) => setTimeout(resolve, 60));
    h.publish('site', event(4));
    await nextImmediate();
    expect(frames.at(-1)!.map((d) => d.seq)).toEqual([4]);
    h.onModuleDestroy();
  });
});
