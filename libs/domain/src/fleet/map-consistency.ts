/**
 * Whether a robot's report agrees with the site about which map (floor) it is on. Each floor is
 * one VDA 5050 map and each site node lies on one floor, so a robot that names a node of floor
 * 2 while its `agvPosition.mapId` says floor 1 contradicts itself. The stock vda-5050-lib AGV
 * does exactly this after a lift ride: it reports the exit lobby on the new floor as its
 * `lastNodeId` but keeps the old floor's map. Position-based logic (nearest node, loading at
 * the dock, the live map) would then read the robot on the wrong floor. Pure: the caller
 * raises the alarm and counts it.
 */
import type { SiteGraph } from '../site/site-graph.js';

/** The parts of a VDA 5050 state the check reads. */
export interface MapReport {
  lastNodeId: string;
  agvPosition?: { mapId: string; positionInitialized?: boolean } | undefined;
  nodeStates?: readonly { nodeId: string; nodePosition?: { mapId: string } | undefined }[] | undefined;
}

export interface MapMismatch {
  /** the site node whose floor the report contradicts */
  nodeId: string;
  /** the report's field that names the other map */
  field: string;
  /** the map the site puts the node on */
  nodeMapId: string;
  /** the map the robot reported */
  reportedMapId: string;
  /** for people */
  detail: string;
}

/** Undefined when the report is consistent, or names nothing the site can place. */
export function mapMismatch(graph: Pick<SiteGraph, 'hasNode' | 'node'>, report: MapReport): MapMismatch | undefined {
  const floorOf = (id: string | undefined) => (id && graph.hasNode(id) ? graph.node(id).floor : undefined);
  const p = report.agvPosition;
  const lastFloor = floorOf(report.lastNodeId);
  if (p && p.positionInitialized !== false && lastFloor !== undefined && p.mapId !== lastFloor) {
    // Riding a lift, between its last node and the next: VDA 5050 (state, agvPosition.mapId)
    // has the robot "disappear off the map of the departure floor and spawn in the related lift
    // node on the map of the target floor", so either floor is right until it reports the exit
    // lobby as reached. Once it has (lastNodeId on the new floor), only the new map is.
    const next = report.nodeStates?.[0]?.nodeId;
    const nextFloor = floorOf(next);
    const riding = nextFloor !== undefined && nextFloor !== lastFloor && p.mapId === nextFloor;
    if (!riding) {
      return {
        nodeId: report.lastNodeId,
        field: 'agvPosition.mapId',
        nodeMapId: lastFloor,
        reportedMapId: p.mapId,
        detail: `reports node ${report.lastNodeId} (on map ${lastFloor}) as its last node but its position on map ${p.mapId}`,
      };
    }
  }
  const states = report.nodeStates ?? [];
  for (let i = 0; i < states.length; i++) {
    const n = states[i]!;
    const reported = n.nodePosition?.mapId;
    const floor = floorOf(n.nodeId);
    if (reported !== undefined && floor !== undefined && reported !== floor) {
      return {
        nodeId: n.nodeId,
        field: `nodeStates[${i}].nodePosition.mapId`,
        nodeMapId: floor,
        reportedMapId: reported,
        detail: `reports node ${n.nodeId} (on map ${floor}) on map ${reported}`,
      };
    }
  }
  return undefined;
}
