/**
 * Pure motion model: where a robot is along an edge. Robots drive straight lines between
 * node positions (no trajectories); an edge whose end lies on another map is a lift ride,
 * which takes a fixed time and switches the map half way.
 */
export interface MapPoint {
  x: number;
  y: number;
  mapId: string;
  theta?: number;
}

export interface Pose {
  x: number;
  y: number;
  theta: number;
  mapId: string;
}

export function isLiftEdge(from: MapPoint, to: MapPoint): boolean {
  return from.mapId !== to.mapId;
}

/**
 * Length (m) the robot "drives" for an edge. A lift ride is given the distance the robot
 * would cover in `liftTimeS` at `speed`, so one time-budgeted loop handles both kinds.
 */
export function edgeLength(from: MapPoint, to: MapPoint, speed: number, liftTimeS: number): number {
  if (isLiftEdge(from, to)) return Math.max(speed * liftTimeS, 1e-6);
  return Math.hypot(to.x - from.x, to.y - from.y);
}

export function normalizeAngle(angle: number): number {
  let a = angle;
  while (a > Math.PI) a -= 2 * Math.PI;
  while (a < -Math.PI) a += 2 * Math.PI;
  return a;
}

/** Pose after `travelled` metres of an edge of `length` metres. */
export function poseOnEdge(from: MapPoint, to: MapPoint, travelled: number, length: number): Pose {
  const f = length <= 0 ? 1 : Math.min(1, Math.max(0, travelled / length));
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const heading = dx === 0 && dy === 0 ? (to.theta ?? from.theta ?? 0) : Math.atan2(dy, dx);
  // On arrival the robot turns to the node's orientation when the order asks for one.
  const theta = f >= 1 && to.theta !== undefined ? to.theta : heading;
  const mapId = isLiftEdge(from, to) ? (f < 0.5 ? from.mapId : to.mapId) : from.mapId;
  return { x: from.x + dx * f, y: from.y + dy * f, theta: normalizeAngle(theta), mapId };
}

/** Distance between a pose and a node, or Infinity when they are on different maps. */
export function distanceTo(pose: Pick<Pose, 'x' | 'y' | 'mapId'>, point: MapPoint): number {
  return pose.mapId === point.mapId ? Math.hypot(point.x - pose.x, point.y - pose.y) : Infinity;
}
