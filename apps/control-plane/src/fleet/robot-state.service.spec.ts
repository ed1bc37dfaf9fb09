import { describe, expect, it } from '@jest/globals';
import { newTestService } from '#testing';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.js';
import { RobotFactsheets, type StoredFactsheet } from './robot-factsheets.js';
import { RobotStateService } from './robot-state.service.js';

const ID = { deviceId: 'r1', interfaceName: 'uagv', manufacturer: 'M', serialNumber: 'S1' };

function service() {
  const bus = new EventBus();
  const t = newTestService(RobotStateService, [
    [APP_CONFIG, { fleet: { staleAfterMs: 60_000 } }],
    [LOGGER, { error: () => undefined, warn: () => undefined }],
    [EventBus, bus],
  ]);
  t.mock(AlarmsService).clear.mockImplementation(async () => undefined as never);
  let finish!: (m: Map<string, StoredFactsheet>) => void;
  t.mock(RobotFactsheets).load.mockImplementation(() => new Promise((res) => (finish = res)));
  return { t, bus, finish: (m = new Map<string, StoredFactsheet>()) => finish(m) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('RobotStateService at boot', () => {
  it('hears a robot link dropping while the stored factsheets are still loading', async () => {
    const { t, bus, finish } = service();
    t.sut.applyConnection(ID, {
      headerId: 1,
      timestamp: new Date().toISOString(),
      version: '2.0.0',
      manufacturer: 'M',
      serialNumber: 'S1',
      connectionState: 'ONLINE',
    });
    const boot = t.sut.onApplicationBootstrap();
    bus.emit('device.offline', { kind: 'robot', deviceId: 'r1', graceful: false, sessions: 0 } as never);
    expect(t.sut.get('r1')?.connection).toBe('CONNECTIONBROKEN');
    finish();
    await boot;
    t.sut.onModuleDestroy();
  });

  it('tells dispatch when the stored factsheets are in, and seeds them', async () => {
    const { t, finish } = service();
    const boot = t.sut.onApplicationBootstrap();
    let loaded = false;
    void t.sut.factsheetsLoaded().then(() => (loaded = true));
    await flush();
    expect(loaded).toBe(false);
    finish(new Map([['r1', { factsheet: { version: '2.0.0' } as never, receivedAt: '2025-01-01T00:00:00.000Z' }]]));
    await boot;
    await flush();
    expect(loaded).toBe(true);
    expect(t.sut.factsheetOf('r1')?.receivedAt).toBe('2025-01-01T00:00:00.000Z');
    t.sut.onModuleDestroy();
  });
});
