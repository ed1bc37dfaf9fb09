import { describe, expect, it } from '@jest/globals';
import { MissionsRepository } from '#persistence';
import { newTestService } from '#testing';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.js';
import { ActiveMissions } from './active-missions.js';
import { DispatchRound } from './dispatch-round.js';
import { RobotStateService } from './robot-state.service.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('DispatchRound', () => {
  it('plans no round before the stored factsheets are loaded (a robot would look like one without a factsheet)', async () => {
    const t = newTestService(DispatchRound, [
      [APP_CONFIG, { fleet: { dispatchIntervalMs: 60_000, lowBatteryPct: 25, batteryReservePct: 10 } }],
      [LOGGER, { error: () => undefined, warn: () => undefined }],
    ]);
    let loaded!: () => void;
    const robots = t.mock(RobotStateService);
    robots.factsheetsLoaded.mockImplementation(() => new Promise<void>((res) => (loaded = res)));
    robots.all.mockImplementation(() => []);
    const missions = t.mock(MissionsRepository);
    missions.findByStatus.mockImplementation(async () => []);
    t.mock(ActiveMissions).replaceWaiting.mockImplementation(() => []);
    t.sut.poke();
    await flush();
    expect(missions.findByStatus).not.toHaveBeenCalled();
    expect(robots.all).not.toHaveBeenCalled();
    loaded();
    await flush();
    expect(missions.findByStatus).toHaveBeenCalled();
    expect(robots.all).toHaveBeenCalled();
  });
});
