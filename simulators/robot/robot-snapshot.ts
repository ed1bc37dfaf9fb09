/**
 * Renders a RobotModel as the body of a VDA 5050 state message (header added by the sender).
 */
import type { EdgeState, NodeState } from '#contracts';
import { toActionState } from './actions.js';
import { waitingInformation } from './action-progress.js';
import { batteryReach, batteryVoltage, DEFAULT_BATTERY } from './battery.js';
import type { RobotModel, StateBody } from './robot-model.js';

export function buildStateBody(m: RobotModel): StateBody {
  const v21 = m.options.version === '2.1.0';
  const nodeStates: NodeState[] = m.nodes.map((n) => {
    const s: NodeState = { nodeId: n.nodeId, sequenceId: n.sequenceId, released: n.released };
    const p = n.nodePosition;
    // 2.0 requires theta in nodeStates' positions; omit the position rather than invent one.
    if (p && (v21 || p.theta !== undefined)) s.nodePosition = { x: p.x, y: p.y, mapId: p.mapId, ...(p.theta !== undefined ? { theta: p.theta } : {}) };
    return s;
  });
  const edgeStates: EdgeState[] = m.edges.map((e) => ({ edgeId: e.edgeId, sequenceId: e.sequenceId, released: e.released }));
  const params = m.options.batteryParams ?? DEFAULT_BATTERY;
  return {
    orderId: m.orderId,
    orderUpdateId: m.orderUpdateId,
    lastNodeId: m.lastNodeId,
    lastNodeSequenceId: m.lastNodeSequenceId,
    driving: m.driving,
    paused: m.paused,
    newBaseRequest: m.nodes.length > 0 && !m.nodes.some((n) => n.released),
    distanceSinceLastNode: Math.round(m.edgeTravelled * 1000) / 1000,
    operatingMode: 'AUTOMATIC',
    nodeStates,
    edgeStates,
    agvPosition: { ...m.pose, positionInitialized: m.positionInitialized, localizationScore: 0.95 },
    velocity: { vx: m.driving && !m.stalled ? m.speedNow : 0, vy: 0, omega: 0 },
    loads: m.compartments.loads(),
    actionStates: [...m.orderActions.values(), ...m.instantActions].map(toActionState),
    batteryState: {
      batteryCharge: Math.round(m.batteryCharge * 10) / 10,
      batteryVoltage: batteryVoltage(m.batteryCharge, params),
      charging: m.charging,
      reach: batteryReach(m.batteryCharge, params),
    },
    errors: m.errors.map((e) => ({ ...e })),
    information: [...m.compartments.information(), ...waitingInformation(m.active)],
    safetyState: { eStop: m.eStop, fieldViolation: false },
  };
}
