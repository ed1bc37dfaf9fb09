import { describe, expect, it } from '@jest/globals';
import type { SensorTelemetry } from '#contracts';
import { newTestService } from '#testing';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import { DeviceDirectory, type DeviceInfo } from '../device-protocol/device-directory.service.js';
import type { DeviceMessageContext } from '../device-protocol/device-protocol.edge.js';
import { TelemetryStore } from './telemetry-store.service.js';
import { SensorStateService } from './sensor-state.service.js';

const fridge = { id: 'sns-1', kind: 'sensor', name: 'Fridge 1', ward: 'w1', location: 'medication fridge' } as DeviceInfo;
const reading = (ts: string): SensorTelemetry => ({ v: 1, deviceId: 'sns-1', seq: 7, ts, readings: [{ channel: 'product', temperatureC: 11 }] });
const ctx = (over: Partial<DeviceMessageContext>): DeviceMessageContext => ({
  deviceId: 'sns-1',
  kind: 'sensor',
  verdict: { kind: 'new' },
  current: true,
  receivedAt: '2026-12-03T12:10:00.000Z',
  judgedAt: '2026-12-03T12:10:00.000Z',
  backfill: false,
  ...over,
});

describe('SensorStateService: what reaches the cold chain, and at which time', () => {
  it('records a fridge reading at its judged time, not the time the device stamped', async () => {
    const { sut, mock } = newTestService(SensorStateService);
    mock(ColdChainService).record.mockResolvedValue(undefined);
    await sut.applyTelemetry(fridge, reading('2026-12-03T13:00:00.000Z'), ctx({}));
    expect(mock(ColdChainService).record).toHaveBeenCalledWith(
      expect.objectContaining({ storageId: 'sns-1', temperatureC: 11, at: '2026-12-03T12:10:00.000Z' }),
    );
    // the time series keeps what the device said
    expect(mock(TelemetryStore).append).toHaveBeenCalledWith('sns-1', '2026-12-03T13:00:00.000Z', expect.any(Array));
  });

  it('lets a late reading that backfills a confirmed silence reach the cold chain, and keeps any other late one out', async () => {
    const { sut, mock } = newTestService(SensorStateService);
    mock(ColdChainService).record.mockResolvedValue(undefined);
    const late = { verdict: { kind: 'out_of_order', behind: 2 }, current: false } as const;
    await sut.applyTelemetry(fridge, reading('2026-12-03T12:03:00.000Z'), ctx({ ...late, judgedAt: '2026-12-03T12:03:00.000Z', backfill: true }));
    expect(mock(ColdChainService).record).toHaveBeenCalledTimes(1);
    expect(mock(ColdChainService).record.mock.calls[0]![0].at).toBe('2026-12-03T12:03:00.000Z');
    await sut.applyTelemetry(fridge, reading('2026-12-03T12:04:00.000Z'), ctx({ ...late }));
    expect(mock(ColdChainService).record).toHaveBeenCalledTimes(1);
    // neither moved the current value
    mock(DeviceDirectory).get.mockResolvedValue(fridge);
    expect((await sut.get('sns-1', { role: 'admin', wards: [] } as never)).values).toEqual({});
  });
});
