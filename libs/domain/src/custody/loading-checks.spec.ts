import { describe, expect, it } from '@jest/globals';
import { ConflictError, type DomainError, RuleViolationError } from '../errors.js';
import { MEDLOOP_FACTSHEET_ACTIONS } from '#contracts';
import { capabilityOf } from '../dispatch/robot-capability.js';
import {
  assertCompartmentsLoadable,
  assertRobotCanTakeDelivery,
  DELIVERY_ACTION_SCOPES,
  DELIVERY_REQUIRED_ACTIONS,
  type LoadingRobot,
} from './loading-checks.js';

const DOCK = ['F0-PHARMACY-DOCK'];
const robot = (over: Partial<LoadingRobot> = {}): LoadingRobot => ({
  robotId: 'r1',
  online: true,
  hasState: true,
  nodeId: 'F0-PHARMACY-DOCK',
  driving: false,
  compartments: [{ compartmentId: 'C1' }, { compartmentId: 'C2' }, { compartmentId: 'C3', refrigerated: true }],
  factsheetActions: ['pick', 'drop', ...DELIVERY_REQUIRED_ACTIONS],
  ...over,
});

function refusal(fn: () => void): DomainError {
  try {
    fn();
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('loading checks: the robot', () => {
  it('accepts an online robot standing at the dock that declares the delivery actions', () => {
    expect(() => assertRobotCanTakeDelivery(robot(), DOCK)).not.toThrow();
  });

  it.each<[string, Partial<LoadingRobot>, string, new (...a: never[]) => DomainError]>([
    ['offline', { online: false }, 'robot_unreachable', ConflictError],
    ['online without a state yet', { hasState: false }, 'robot_unreachable', ConflictError],
    ['at a ward station', { nodeId: 'F2-CARD-STATION' }, 'robot_not_at_dock', ConflictError],
    ['at no known node', { nodeId: null }, 'robot_not_at_dock', ConflictError],
    ['driving away from the dock', { driving: true }, 'robot_not_at_dock', ConflictError],
    ['without a factsheet (VDA 5050 2.0)', { factsheetActions: null }, 'robot_capabilities_unknown', RuleViolationError],
    ['lacking the compartment actions', { factsheetActions: ['pick', 'drop', 'medloop.waitForRecipient'] }, 'robot_missing_actions', RuleViolationError],
  ])('refuses a robot %s', (_what, over, code, type) => {
    const e = refusal(() => assertRobotCanTakeDelivery(robot(over), DOCK));
    expect(e).toBeInstanceOf(type);
    expect(e.code).toBe(code);
    expect(e.details?.['field']).toBe('robotId');
  });

  it('names the missing actions', () => {
    const e = refusal(() => assertRobotCanTakeDelivery(robot({ factsheetActions: ['medloop.waitForRecipient'] }), DOCK));
    expect(e.details?.['missing']).toEqual(['medloop.unlockCompartment', 'medloop.lockCompartment']);
    expect(e.message).toContain('medloop.unlockCompartment, medloop.lockCompartment');
  });

  it("refuses a robot that takes the unlock only on nodes: the nurse's unlock and the re-lock go out as instant actions", () => {
    const scopes = new Map([
      ['medloop.waitForRecipient', new Set(['NODE'] as const)],
      ['medloop.unlockCompartment', new Set(['NODE'] as const)],
      ['medloop.lockCompartment', new Set(['INSTANT', 'NODE'] as const)],
    ]);
    const e = refusal(() => assertRobotCanTakeDelivery(robot({ factsheetScopes: scopes }), DOCK));
    expect(e).toBeInstanceOf(RuleViolationError);
    expect(e.code).toBe('robot_missing_actions');
    expect(e.details).toMatchObject({
      field: 'robotId',
      missing: ['medloop.unlockCompartment'],
      scopes: { 'medloop.unlockCompartment': { needed: 'INSTANT', declared: ['NODE'] } },
    });
    expect(e.message).toContain('medloop.unlockCompartment as INSTANT');
    // the wait rides on the station node of the order
    const waitInstantOnly = new Map([
      ...scopes,
      ['medloop.unlockCompartment', new Set(['INSTANT'] as const)],
      ['medloop.waitForRecipient', new Set(['INSTANT'] as const)],
    ]);
    expect(refusal(() => assertRobotCanTakeDelivery(robot({ factsheetScopes: waitInstantOnly }), DOCK)).details?.['missing']).toEqual([
      'medloop.waitForRecipient',
    ]);
  });

  it('accepts the delivery actions in the scopes a delivery sends them, and unknown scopes (no actionScopes in a 2.0 factsheet)', () => {
    for (const scopes of [capabilityOf({ protocolFeatures: { agvActions: MEDLOOP_FACTSHEET_ACTIONS } })!.scopes, new Map(), undefined])
      expect(() => assertRobotCanTakeDelivery(robot({ factsheetScopes: scopes }), DOCK)).not.toThrow();
    expect(DELIVERY_ACTION_SCOPES).toEqual({
      'medloop.waitForRecipient': 'NODE',
      'medloop.unlockCompartment': 'INSTANT',
      'medloop.lockCompartment': 'INSTANT',
    });
  });

  it('refuses every robot when the site has no pharmacy dock', () => {
    expect(refusal(() => assertRobotCanTakeDelivery(robot(), [])).code).toBe('robot_not_at_dock');
  });
});

describe('loading checks: the compartments', () => {
  it('accepts free compartments, and a 2–8 °C dose into the refrigerated one', () => {
    expect(() =>
      assertCompartmentsLoadable(
        robot(),
        [
          { compartmentId: 'C1', refrigerated: false },
          { compartmentId: 'C3', refrigerated: true },
        ],
        [],
      ),
    ).not.toThrow();
  });

  it('refuses a compartment the robot does not report', () => {
    const e = refusal(() => assertCompartmentsLoadable(robot(), [{ compartmentId: 'C9', refrigerated: false }], []));
    expect(e).toBeInstanceOf(RuleViolationError);
    expect(e.code).toBe('compartment_unknown');
    expect(e.details?.['field']).toBe('compartments.C9');
  });

  it('refuses a compartment the robot reports a load in', () => {
    const e = refusal(() =>
      assertCompartmentsLoadable(robot({ compartments: [{ compartmentId: 'C1', loadId: 'dose-7' }] }), [{ compartmentId: 'C1', refrigerated: false }], []),
    );
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.code).toBe('compartment_occupied');
    expect(e.message).toContain('dose-7');
  });

  it('refuses a compartment another delivery still aboard holds, naming it', () => {
    const e = refusal(() =>
      assertCompartmentsLoadable(robot(), [{ compartmentId: 'C1', refrigerated: false }], [{ deliveryId: 'd-other', state: 'arrived', compartmentId: 'C1' }]),
    );
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.code).toBe('compartment_reserved');
    expect(e.details).toMatchObject({ field: 'compartments.C1', deliveryId: 'd-other' });
    expect(e.message).toContain('d-other');
  });

  it('refuses a 2–8 °C dose in a compartment that is not refrigerated (or does not say)', () => {
    for (const compartments of [[{ compartmentId: 'C1' }], [{ compartmentId: 'C1', refrigerated: false }]]) {
      const e = refusal(() => assertCompartmentsLoadable(robot({ compartments }), [{ compartmentId: 'C1', refrigerated: true }], []));
      expect(e.code).toBe('compartment_not_refrigerated');
      expect(e.details?.['field']).toBe('compartments.C1');
    }
  });
});
