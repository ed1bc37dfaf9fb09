import { describe, expect, it } from '@jest/globals';
import { parseDeviceMessage, type CabinetCommand, type CabinetCommandInput } from '#contracts';
import { CabinetModel, defaultLayout } from './cabinet-model.js';

let n = 0;
function cmd(body: Record<string, unknown>): CabinetCommand {
  const input = { v: 1, deviceId: 'CAB-1', seq: ++n, ts: '2025-01-01T00:00:00.000Z', commandId: `c${n}`, ...body } as CabinetCommandInput;
  const parsed = parseDeviceMessage('cabinet', 'command', input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.message;
}
const unlock = (pocketId = 'D1-P1') => cmd({ type: 'unlockPocket', pocketId, userId: 'nurse-1', reason: 'remove', expiresAt: '2030-01-01T00:00:00.000Z' });

describe('CabinetModel', () => {
  it('unlocks, opens and closes a pocket, taking one unit', () => {
    const m = new CabinetModel(defaultLayout(), { openDelayS: 2, accessS: 5, abandonRate: 0 }, () => 0.5);
    expect(m.handleCommand(unlock())).toEqual({ result: 'done' });
    expect(m.pocket('D1-P1')!.state).toBe('unlocked');
    m.step(10);
    expect(m.takeEvents()).toEqual([
      { type: 'pocketOpened', pocketId: 'D1-P1', userId: 'nurse-1', commandId: 'c1' },
      { type: 'pocketClosed', pocketId: 'D1-P1', openS: 5, commandId: 'c1' },
    ]);
    expect(m.pocket('D1-P1')).toMatchObject({ state: 'locked', count: 9 });
  });

  it('refuses unlocks during lockdown, for unknown or busy pockets, and fails on a jammed lock', () => {
    const m = new CabinetModel(defaultLayout(), undefined, () => 0.5);
    expect(m.handleCommand(unlock('NOPE'))).toMatchObject({ result: 'refused', detail: 'no pocket NOPE' });
    m.handleCommand(unlock());
    expect(m.handleCommand(unlock())).toMatchObject({ result: 'refused' });
    m.jamPocket('D1-P2');
    expect(m.handleCommand(unlock('D1-P2'))).toMatchObject({ result: 'failed' });
    expect(m.handleCommand(cmd({ type: 'lockdown', reason: 'audit' }))).toEqual({ result: 'done' });
    // lockdown relocks a pocket that was unlocked but not yet opened
    expect(m.pocket('D1-P1')!.state).toBe('locked');
    expect(m.handleCommand(unlock('D1-P3'))).toEqual({ result: 'refused', detail: 'cabinet is locked down' });
    m.handleCommand(cmd({ type: 'releaseLockdown', userId: 'pharm-1' }));
    expect(m.handleCommand(unlock('D1-P3'))).toEqual({ result: 'done' });
    expect(m.takeEvents().map((e) => e.type)).toEqual(['lockdownEngaged', 'lockdownReleased']);
  });

  it('lets an unused unlock expire', () => {
    const m = new CabinetModel(defaultLayout(), { openDelayS: 2, accessS: 5, abandonRate: 1 }, () => 0.5);
    m.handleCommand(unlock());
    m.step(31);
    expect(m.takeEvents()).toEqual([{ type: 'pocketUnlockExpired', pocketId: 'D1-P1', commandId: expect.any(String) }]);
  });

  it('reports counts, with an injected miscount once', () => {
    const m = new CabinetModel(defaultLayout(), undefined, () => 0.5);
    m.miscount('D1-P1', -1);
    m.handleCommand(cmd({ type: 'requestCount', pocketId: 'D1-P1', userId: 'n', blind: true }));
    m.handleCommand(cmd({ type: 'requestCount', pocketId: 'D1-P1', userId: 'n', blind: true }));
    expect(m.takeEvents().map((e) => (e.type === 'countEntered' ? e.counted : null))).toEqual([9, 10]);
  });

  it('reports refrigerated drawer temperatures that parse, and warms on battery', () => {
    const m = new CabinetModel(defaultLayout(), undefined, () => 0.5);
    m.step(600);
    const telemetry = { v: 1, deviceId: 'CAB-1', seq: 0, ts: '2025-01-01T00:00:00.000Z', ...m.telemetry() };
    expect(parseDeviceMessage('cabinet', 'telemetry', telemetry)).toMatchObject({ ok: true });
    const cold = () => m.telemetry().drawers.find((d) => d.refrigerated)!.temperatureC!;
    expect(cold()).toBeLessThan(8);
    m.setPower(true);
    m.step(3 * 3600);
    expect(cold()).toBeGreaterThan(8);
    expect(m.takeEvents()).toEqual([{ type: 'powerLost', onBattery: true }]);
  });
});
