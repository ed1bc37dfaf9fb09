/**
 * What must hold of the real robot before a pharmacist seals doses into it, and again before
 * it is sent: the robot is reachable, stands at the pharmacy dock, can run MedLoop's
 * compartment actions, and each compartment named is one it reports, is empty, is not held by
 * another delivery still aboard, and is refrigerated when a dose needs the cold chain. The
 * pharmacist's claim is never enough; the robot's own state and factsheet decide. Pure: the
 * caller passes a plain summary of the robot (RobotStateService) and of the deliveries.
 */
import { MEDLOOP_ACTION_TYPES } from '#contracts';
import { type ActionScope, declaresActionIn, type RobotCapability } from '../dispatch/robot-capability.js';
import { ConflictError, RuleViolationError } from '../errors.js';

/** The actions a MedLoop delivery sends the robot (the handover node and its re-lock). */
export const DELIVERY_REQUIRED_ACTIONS: readonly string[] = [
  MEDLOOP_ACTION_TYPES.waitForRecipient,
  MEDLOOP_ACTION_TYPES.unlockCompartment,
  MEDLOOP_ACTION_TYPES.lockCompartment,
];

/**
 * How a delivery sends each of those (factsheet actionScopes): the wait rides on the station
 * node of the order; the nurse's unlock and every re-lock go out as instant actions
 * (delivery-ward.service). A robot that takes the unlock only on nodes refuses it at the
 * bedside (vda-5050-lib does), so the scope is checked as well as the type.
 */
export const DELIVERY_ACTION_SCOPES: Readonly<Record<string, ActionScope>> = {
  [MEDLOOP_ACTION_TYPES.waitForRecipient]: 'NODE',
  [MEDLOOP_ACTION_TYPES.unlockCompartment]: 'INSTANT',
  [MEDLOOP_ACTION_TYPES.lockCompartment]: 'INSTANT',
};

/** The robot as the control plane last heard it. */
export interface LoadingRobot {
  robotId: string;
  /** connection ONLINE and not silent past the staleness limit */
  online: boolean;
  /** a VDA 5050 state has been received (without one, position and compartments are unknown) */
  hasState: boolean;
  /** the node the robot stands at: its `lastNodeId`, else the node its position is on; null when unknown */
  nodeId: string | null;
  driving: boolean;
  /** compartments from `readCompartments(state)`: `loadId` set when `loads[]` reports content */
  compartments: readonly { compartmentId: string; loadId?: string | undefined; refrigerated?: boolean | undefined }[];
  /**
   * `protocolFeatures.agvActions[].actionType` of the robot's factsheet; null when the robot
   * published none (2.0 and 2.1 both have the factsheet topic; some robots never use it).
   */
  factsheetActions: readonly string[] | null;
  /**
   * `agvActions[].actionScopes` per action type (capabilityOf); an action type without an
   * entry, or no map at all, has unknown scopes and is accepted in every scope.
   */
  factsheetScopes?: RobotCapability['scopes'] | undefined;
}

/** One compartment the pharmacist wants to fill, with what the doses going into it need. */
export interface CompartmentRequest {
  compartmentId: string;
  /** at least one dose is a 2–8 °C medication */
  refrigerated: boolean;
}

/** A compartment held by another delivery that is still aboard this robot. */
export interface CompartmentReservation {
  deliveryId: string;
  state: string;
  compartmentId: string;
}

/**
 * The robot can take a delivery now: online with a known state, standing (not driving) at a
 * pharmacy dock, and declaring in its factsheet every action a delivery will send it. A robot
 * without a factsheet is refused: nothing says it can unlock a compartment for the nurse, and
 * finding out at the ward station leaves the doses sealed in a robot nobody can open.
 * Checked at loading and again at dispatch.
 */
export function assertRobotCanTakeDelivery(robot: LoadingRobot, dockNodeIds: readonly string[]): void {
  if (!robot.online || !robot.hasState)
    throw new ConflictError(
      `robot ${robot.robotId} is ${robot.online ? 'online but has not reported its state yet' : 'offline or silent'}: its compartments cannot be checked`,
      'robot_unreachable',
      { field: 'robotId', online: robot.online, hasState: robot.hasState },
    );
  if (!robot.nodeId || !dockNodeIds.includes(robot.nodeId) || robot.driving)
    throw new ConflictError(
      `robot ${robot.robotId} is not at the pharmacy dock (${robot.driving ? 'it is driving' : `it reports ${robot.nodeId ? `node ${robot.nodeId}` : 'no node'}`}): load and dispatch only a robot standing at ${dockNodeIds.join(', ') || 'a pharmacy dock (none is defined on the site)'}`,
      'robot_not_at_dock',
      { field: 'robotId', nodeId: robot.nodeId, driving: robot.driving, dockNodeIds: [...dockNodeIds] },
    );
  if (robot.factsheetActions === null)
    throw new RuleViolationError(
      `robot ${robot.robotId} has published no factsheet, so nothing says it can run ${DELIVERY_REQUIRED_ACTIONS.join(', ')}: a robot (VDA 5050 2.0 or 2.1) carries deliveries once its factsheet declares them`,
      'robot_capabilities_unknown',
      { field: 'robotId', required: [...DELIVERY_REQUIRED_ACTIONS] },
    );
  const missing = DELIVERY_REQUIRED_ACTIONS.filter((a) => !robot.factsheetActions!.includes(a));
  if (missing.length > 0)
    throw new RuleViolationError(`robot ${robot.robotId} does not declare the actions a delivery needs: ${missing.join(', ')}`, 'robot_missing_actions', {
      field: 'robotId',
      missing,
    });
  const capability = { actions: new Set(robot.factsheetActions), scopes: robot.factsheetScopes ?? new Map(), compartments: new Set<string>() };
  const wrongScope = DELIVERY_REQUIRED_ACTIONS.filter((a) => !declaresActionIn(capability, a, DELIVERY_ACTION_SCOPES[a]!));
  if (wrongScope.length > 0)
    throw new RuleViolationError(
      `robot ${robot.robotId} does not declare the actions a delivery needs in the scope it sends them: ${wrongScope
        .map((a) => `${a} as ${DELIVERY_ACTION_SCOPES[a]} (its factsheet actionScopes: ${[...(capability.scopes.get(a) ?? [])].join(', ') || 'none'})`)
        .join('; ')}`,
      'robot_missing_actions',
      {
        field: 'robotId',
        missing: wrongScope,
        scopes: Object.fromEntries(wrongScope.map((a) => [a, { needed: DELIVERY_ACTION_SCOPES[a], declared: [...(capability.scopes.get(a) ?? [])] }])),
      },
    );
}

/**
 * Every compartment requested is reported by the robot, empty, not held by another delivery
 * still aboard, and refrigerated when a dose needs it. Checked at loading (compartments do not
 * change their nature between loading and dispatch, and another loading is refused by these
 * same checks).
 */
export function assertCompartmentsLoadable(
  robot: LoadingRobot,
  requests: readonly CompartmentRequest[],
  reservations: readonly CompartmentReservation[],
): void {
  for (const req of requests) {
    const field = `compartments.${req.compartmentId}`;
    const c = robot.compartments.find((x) => x.compartmentId === req.compartmentId);
    if (!c)
      throw new RuleViolationError(
        `robot ${robot.robotId} reports no compartment ${req.compartmentId} (it reports ${robot.compartments.map((x) => x.compartmentId).join(', ') || 'none'})`,
        'compartment_unknown',
        { field, reported: robot.compartments.map((x) => x.compartmentId) },
      );
    if (c.loadId)
      throw new ConflictError(
        `compartment ${req.compartmentId} of robot ${robot.robotId} is not empty: the robot reports load ${c.loadId} in it`,
        'compartment_occupied',
        {
          field,
          loadId: c.loadId,
        },
      );
    const held = reservations.find((r) => r.compartmentId === req.compartmentId);
    if (held)
      throw new ConflictError(
        `compartment ${req.compartmentId} of robot ${robot.robotId} is held by delivery ${held.deliveryId} (${held.state}), which is still aboard`,
        'compartment_reserved',
        { field, deliveryId: held.deliveryId, state: held.state },
      );
    if (req.refrigerated && c.refrigerated !== true)
      throw new RuleViolationError(
        `compartment ${req.compartmentId} of robot ${robot.robotId} is not refrigerated, and a dose for it must be kept at 2–8 °C`,
        'compartment_not_refrigerated',
        { field },
      );
  }
}
