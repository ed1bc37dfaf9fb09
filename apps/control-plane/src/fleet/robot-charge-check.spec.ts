import { beforeEach, describe, expect, it } from '@jest/globals';
import { capabilityOf, type DispatchRobot } from '#domain';
import { newTestService, type TestService } from '#testing';
import { AlarmsService } from '../alarms/alarms.service.js';
import { LOGGER } from '../common/logger.js';
import { RobotChargeCheck } from './robot-charge-check.js';
import { RobotStateService } from './robot-state.service.js';

const withActions = (...actionTypes: string[]) =>
  capabilityOf({ protocolFeatures: { agvActions: actionTypes.map((actionType) => ({ actionType, actionScopes: ['NODE'] })) } });

const robot = (over: Partial<DispatchRobot> = {}): DispatchRobot =>
  ({ id: 'r1', online: true, busy: false, charging: false, batteryPct: 10, capability: withActions('pick'), ...over }) as DispatchRobot;

describe('RobotChargeCheck', () => {
  let t: TestService<RobotChargeCheck>;
  let open: Set<string>;

  beforeEach(() => {
    t = newTestService(RobotChargeCheck, [[LOGGER, { warn: () => undefined, error: () => undefined }]]);
    open = new Set();
    const alarms = t.mock(AlarmsService);
    alarms.isOpen.mockImplementation((key) => open.has(key));
    alarms.raise.mockImplementation((async (a: { type: string; subject: string }) => {
      open.add(`${a.type}:${a.subject}`);
    }) as never);
    alarms.clear.mockImplementation((async (key: string) => {
      open.delete(key);
    }) as never);
    t.mock(RobotStateService).get.mockImplementation(() => ({ manufacturer: 'M', serialNumber: 'S1' }) as never);
  });

  it('raises one alarm for a low robot that does not declare startCharging (or has no factsheet), however many rounds', () => {
    for (let i = 0; i < 5; i++) t.sut.check([robot(), robot({ id: 'r2', capability: null })], 25);
    const alarms = t.mock(AlarmsService);
    expect(alarms.raise).toHaveBeenCalledTimes(2);
    expect(alarms.raise).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'robot.cannot_charge', subject: 'r1', params: { robot: 'M/S1', batteryPct: 10, lowBatteryPct: 25, noFactsheet: false } }),
    );
    expect(alarms.raise).toHaveBeenCalledWith(expect.objectContaining({ subject: 'r2', params: expect.objectContaining({ noFactsheet: true }) }));
  });

  it('raises nothing for a robot that can charge, is charging, is above the threshold or is offline', () => {
    t.sut.check([robot({ capability: withActions('startCharging') }), robot({ charging: true }), robot({ batteryPct: 25 }), robot({ online: false })], 25);
    // a robot declaring startCharging only as an instant action cannot take it on the charger node
    expect(t.mock(AlarmsService).raise).not.toHaveBeenCalled();
    t.sut.check([robot({ capability: capabilityOf({ protocolFeatures: { agvActions: [{ actionType: 'startCharging', actionScopes: ['INSTANT'] }] } }) })], 25);
    expect(t.mock(AlarmsService).raise).toHaveBeenCalledTimes(1);
  });

  it.each<[string, Partial<DispatchRobot>, string]>([
    ['charges', { charging: true }, 'the robot is charging'],
    ['declares startCharging', { capability: withActions('startCharging') }, 'the robot declares startCharging'],
    ['recovers', { batteryPct: 60 }, 'the battery is above the low-battery threshold'],
  ])('clears the alarm when the robot %s, and raises it again when it is low and unable again', (_what, over, why) => {
    t.sut.check([robot()], 25);
    t.sut.check([robot(over)], 25);
    expect(t.mock(AlarmsService).clear).toHaveBeenCalledWith('robot.cannot_charge:r1', why);
    t.sut.check([robot()], 25);
    expect(t.mock(AlarmsService).raise).toHaveBeenCalledTimes(2);
  });

  it("clears an alarm raised before a restart, and leaves an offline robot's alarm open", () => {
    open.add('robot.cannot_charge:r1');
    t.sut.check([robot({ online: false })], 25);
    expect(t.mock(AlarmsService).clear).not.toHaveBeenCalled();
    t.sut.check([robot({ batteryPct: 90 })], 25);
    expect(t.mock(AlarmsService).clear).toHaveBeenCalledTimes(1);
  });
});
