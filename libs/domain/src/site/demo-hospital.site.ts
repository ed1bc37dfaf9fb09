/**
 * A built-in demo hospital for simulators, the UI and tests: an 80 m × 40 m block with a
 * ground-floor pharmacy and three ward floors, joined by two lifts.
 *
 * Every floor has the same spine: a main corridor along y = 20 with waypoints every 10 m,
 * two lift lobbies at x = 35 and x = 45 on its north side, and wards opening off its south
 * side through a door. The builders below only remove repetition; the result is plain data
 * in the site file format, checked by parseSiteFile in the spec.
 */
import { parseSiteFile, type SiteFileInput } from '#contracts';
import { SiteGraph } from './site-graph.js';

type NodeIn = SiteFileInput['nodes'][number];
type EdgeIn = NonNullable<SiteFileInput['edges']>[number];

const LEVELS = [0, 1, 2, 3] as const;
const CORRIDOR_X = [5, 15, 25, 35, 45, 55, 65, 75] as const;
const CORRIDOR_Y = 20;

const floorId = (level: number) => `F${level}`;
const corridorId = (level: number, x: number) => `F${level}-C${String(x).padStart(2, '0')}`;
const lobbyId = (level: number, lift: 'A' | 'B') => `F${level}-LIFT-${lift}`;

function corridorSpine(level: number): { nodes: NodeIn[]; edges: EdgeIn[] } {
  const floor = floorId(level);
  const nodes: NodeIn[] = CORRIDOR_X.map((x) => ({ id: corridorId(level, x), floor, x, y: CORRIDOR_Y, kind: 'waypoint' }));
  const edges: EdgeIn[] = CORRIDOR_X.slice(1).map((x, i) => ({
    id: `F${level}-E-C${CORRIDOR_X[i]}-C${x}`,
    from: corridorId(level, CORRIDOR_X[i]!),
    to: corridorId(level, x),
    kind: 'corridor',
  }));
  for (const [lift, x] of [['A', 35] as const, ['B', 45] as const]) {
    nodes.push({ id: lobbyId(level, lift), floor, x, y: 26, kind: 'lift_lobby', name: `Lift ${lift} lobby, level ${level}` });
    edges.push({ id: `F${level}-E-LIFT-${lift}`, from: corridorId(level, x), to: lobbyId(level, lift), kind: 'corridor' });
  }
  return { nodes, edges };
}

/**
 * A ward south of the corridor at `x`: a door from the corridor into the ward entrance, then
 * a short ward corridor with the nurse station on one side and a bed-bay waypoint on the other.
 */
function ward(level: number, code: string, x: number): { nodes: NodeIn[]; edges: EdgeIn[] } {
  const floor = floorId(level);
  const p = `F${level}-${code}`;
  const w = `W-${code}`;
  return {
    nodes: [
      { id: `${p}-ENTRANCE`, floor, x, y: 14, kind: 'waypoint', ward: w },
      { id: `${p}-HALL`, floor, x, y: 7, kind: 'waypoint', ward: w },
      { id: `${p}-STATION`, floor, x: x + 6, y: 7, kind: 'ward_station', ward: w, name: `${code} nurse station` },
      { id: `${p}-BAY`, floor, x: x - 6, y: 7, kind: 'waypoint', ward: w, name: `${code} bed bay` },
    ],
    edges: [
      // Wards ask robots to slow down past the door: patients and staff walk here.
      { id: `${p}-E-DOOR`, from: corridorId(level, x), to: `${p}-ENTRANCE`, kind: 'door', maxSpeed: 0.5 },
      { id: `${p}-E-HALL`, from: `${p}-ENTRANCE`, to: `${p}-HALL`, kind: 'corridor', maxSpeed: 0.8 },
      { id: `${p}-E-STATION`, from: `${p}-HALL`, to: `${p}-STATION`, kind: 'corridor', maxSpeed: 0.8 },
      { id: `${p}-E-BAY`, from: `${p}-HALL`, to: `${p}-BAY`, kind: 'corridor', maxSpeed: 0.8 },
    ],
  };
}

function charger(level: number, id: string, x: number, fromX: number): { nodes: NodeIn[]; edges: EdgeIn[] } {
  return {
    nodes: [{ id, floor: floorId(level), x, y: 33, kind: 'charger' }],
    edges: [{ id: `${id}-E`, from: corridorId(level, fromX), to: id, kind: 'corridor' }],
  };
}

const parts = [
  ...LEVELS.map(corridorSpine),
  // Ground floor: pharmacy in the west wing, chargers and parking in the east.
  {
    nodes: [
      { id: 'F0-PHARMACY-DOOR', floor: 'F0', x: 5, y: 13, kind: 'waypoint', name: 'Pharmacy door' },
      { id: 'F0-PHARMACY-DOCK', floor: 'F0', x: 11, y: 8, kind: 'pharmacy_dock', name: 'Pharmacy robot dock' },
      { id: 'F0-PARK-1', floor: 'F0', x: 55, y: 33, kind: 'parking', name: 'Robot parking (away from exits)' },
    ],
    edges: [
      { id: 'F0-E-PHARMACY-DOOR', from: 'F0-C05', to: 'F0-PHARMACY-DOOR', kind: 'door', maxSpeed: 0.5 },
      { id: 'F0-E-PHARMACY-DOCK', from: 'F0-PHARMACY-DOOR', to: 'F0-PHARMACY-DOCK', kind: 'corridor', maxSpeed: 0.8 },
      { id: 'F0-E-PARK-1', from: 'F0-C55', to: 'F0-PARK-1', kind: 'corridor' },
    ],
  } satisfies { nodes: NodeIn[]; edges: EdgeIn[] },
  charger(0, 'F0-CHARGER-1', 65, 65),
  charger(0, 'F0-CHARGER-2', 75, 75),
  charger(2, 'F2-CHARGER-1', 15, 15),
  ward(1, 'CARD', 65),
  ward(1, 'SURG', 15),
  ward(2, 'ONC', 65),
  ward(3, 'PAED', 25),
  charger(3, 'F3-CHARGER-1', 65, 65),
];

export const DEMO_HOSPITAL_SITE: SiteFileInput = {
  id: 'demo-hospital',
  name: 'MedLoop Demo Hospital',
  interfaceName: 'uagv',
  floors: [
    { mapId: 'F0', name: 'Ground floor (pharmacy)', level: 0 },
    { mapId: 'F1', name: 'Level 1 (cardiology, surgery)', level: 1 },
    { mapId: 'F2', name: 'Level 2 (oncology)', level: 2 },
    { mapId: 'F3', name: 'Level 3 (paediatrics)', level: 3 },
  ],
  wards: [
    { id: 'W-CARD', name: 'Cardiology', floor: 'F1' },
    { id: 'W-SURG', name: 'General surgery', floor: 'F1' },
    { id: 'W-ONC', name: 'Oncology', floor: 'F2' },
    { id: 'W-PAED', name: 'Paediatrics', floor: 'F3' },
  ],
  nodes: parts.flatMap((p) => p.nodes),
  edges: parts.flatMap((p) => p.edges),
  lifts: [
    { id: 'LIFT-A', name: 'Lift A (bed lift)', serves: LEVELS.map((l) => lobbyId(l, 'A')), rideTimePerFloorS: 6, meanWaitS: 45 },
    { id: 'LIFT-B', name: 'Lift B (service lift)', serves: LEVELS.map((l) => lobbyId(l, 'B')), rideTimePerFloorS: 5, meanWaitS: 60 },
  ],
};

/** The demo site, parsed and compiled: what simulators and tests route on. */
export function createDemoHospitalGraph(): SiteGraph {
  return new SiteGraph(parseSiteFile(DEMO_HOSPITAL_SITE, 'DEMO_HOSPITAL_SITE'));
}
