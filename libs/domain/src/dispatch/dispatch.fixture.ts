/** Test fixtures for dispatch specs: a corridor site and robot / mission factories. */
import { parseSiteFile } from '#contracts';
import { SiteGraph } from '../site/site-graph.js';
import type { DispatchMission, DispatchRobot } from './dispatch.types.js';

/**
 *   C0 ── P ── N10 ── N20 ── N30 ── S ── C1        ISO (no edges)
 *  -10    0    10     20     30    40    50        x in metres, all 10 m apart
 * P = pharmacy dock, S = ward station, C0/C1 = chargers.
 */
export function corridorGraph(): SiteGraph {
  const line = ['C0', 'P', 'N10', 'N20', 'N30', 'S', 'C1'];
  const kind = (id: string) => (id.startsWith('C') ? 'charger' : id === 'P' ? 'pharmacy_dock' : id === 'S' ? 'ward_station' : 'waypoint');
  return new SiteGraph(
    parseSiteFile({
      id: 'corridor',
      name: 'Corridor',
      floors: [{ mapId: 'F0', name: 'G', level: 0 }],
      wards: [{ id: 'W', name: 'Ward', floor: 'F0' }],
      nodes: [
        ...line.map((id, i) => ({ id, floor: 'F0', x: -10 + 10 * i, y: 0, kind: kind(id), ...(id === 'S' ? { ward: 'W' } : {}) })),
        { id: 'ISO', floor: 'F0', x: 100, y: 100, kind: 'waypoint' },
      ],
      edges: line.slice(1).map((id, i) => ({ id: `E-${line[i]}-${id}`, from: line[i]!, to: id })),
    }),
  );
}

export function robot(id: string, overrides: Partial<DispatchRobot> = {}): DispatchRobot {
  return {
    id,
    online: true,
    operatingMode: 'AUTOMATIC',
    hasFatalError: false,
    eStopActive: false,
    batteryPct: 80,
    currentNodeId: 'N20',
    busy: false,
    speed: 1,
    energy: { pctPerMetre: 0.5, reservePct: 10 },
    ...overrides,
  };
}

export function mission(id: string, overrides: Partial<DispatchMission> = {}): DispatchMission {
  return {
    id,
    priority: 'routine',
    createdAt: new Date('2025-03-01T10:00:00Z'),
    firstStop: 'P',
    stops: ['S'],
    ...overrides,
  };
}

export const minutesLater = (n: number) => new Date(Date.parse('2025-03-01T10:00:00Z') + n * 60_000);
