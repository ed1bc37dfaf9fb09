/** Routes and shortest-time trees computed on a `SiteGraph`. */

export type RouteEdgeKind = 'corridor' | 'door' | 'lift';

/** One step of a route, in the direction of travel (an order edge's start → end node). */
export interface RouteEdge {
  /** The site edge id, or for a lift ride `{liftId}:{fromLobby}:{toLobby}`. */
  id: string;
  from: string;
  to: string;
  /** Driven metres; 0 for a lift ride (the robot stands still in the car). */
  lengthM: number;
  kind: RouteEdgeKind;
}

export interface Route {
  /** Node ids from start to destination, both included. */
  nodes: string[];
  edges: RouteEdge[];
  /** Expected travel time, lift waits included. */
  durationS: number;
  /** Driven distance (what the battery pays for). */
  distanceM: number;
}

export interface RouteOptions {
  /** The robot's cruising speed in m/s; an edge's maxSpeed caps it. */
  speed: number;
}

/**
 * Shortest times from every node to a root set (or from it, for a forward tree), for one
 * robot speed. Built once and read many times: dispatch reads one per mission instead of
 * planning one route per robot.
 */
export interface TimeTree {
  /** Travel time in s for the node's shortest-time route; Infinity when unreachable. */
  durationS(nodeId: string): number;
  /** Driven metres along that same route; Infinity when unreachable. */
  distanceM(nodeId: string): number;
  /** The root reached from (or reaching) this node: useful when the tree has several roots. */
  rootOf(nodeId: string): string | undefined;
  /** The full route between the node and its root, in travel direction. */
  route(nodeId: string): Route | undefined;
}
