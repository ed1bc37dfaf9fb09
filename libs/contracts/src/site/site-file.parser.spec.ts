import { describe, expect, it } from '@jest/globals';
import { SiteFileError } from './site-file.error.js';
import { parseSiteFile } from './site-file.parser.js';
import type { SiteFileInput } from './site.schema.js';

type Fixture = SiteFileInput & Required<Pick<SiteFileInput, 'wards' | 'edges' | 'lifts'>>;

/** A small valid two-floor site; each test breaks one thing. */
function site(): Fixture {
  return {
    id: 'test-site',
    name: 'Test',
    floors: [
      { mapId: 'F0', name: 'Ground', level: 0 },
      { mapId: 'F1', name: 'First', level: 1 },
    ],
    wards: [{ id: 'W1', name: 'Ward 1', floor: 'F1' }],
    nodes: [
      { id: 'PH', floor: 'F0', x: 0, y: 0, kind: 'pharmacy_dock' },
      { id: 'L0', floor: 'F0', x: 3, y: 4, kind: 'lift_lobby' },
      { id: 'L1', floor: 'F1', x: 3, y: 4, kind: 'lift_lobby' },
      { id: 'ST1', floor: 'F1', x: 13, y: 4, kind: 'ward_station', ward: 'W1' },
    ],
    edges: [
      { id: 'E1', from: 'PH', to: 'L0' },
      { id: 'E2', from: 'L1', to: 'ST1', lengthM: 12, bidirectional: false, maxSpeed: 0.5, kind: 'door' },
    ],
    lifts: [{ id: 'LA', name: 'Lift A', serves: ['L0', 'L1'], rideTimePerFloorS: 5, meanWaitS: 30 }],
  };
}

function errorOf(json: unknown, path?: string): SiteFileError {
  try {
    parseSiteFile(json, path);
  } catch (e) {
    expect(e).toBeInstanceOf(SiteFileError);
    return e as SiteFileError;
  }
  throw new Error('expected parseSiteFile to throw');
}

describe('parseSiteFile', () => {
  it('parses a valid site, defaulting edge length to the straight-line distance and edges to bidirectional', () => {
    const s = parseSiteFile(site());
    expect(s.edges[0]).toEqual({ id: 'E1', from: 'PH', to: 'L0', lengthM: 5, bidirectional: true, kind: 'corridor' });
    expect(s.edges[1]).toMatchObject({ lengthM: 12, bidirectional: false, maxSpeed: 0.5, kind: 'door' });
    expect(s.interfaceName).toBeUndefined();
  });

  it('names the file and the field at fault for an unknown floor', () => {
    const json = site();
    json.nodes[3]!.floor = 'F9';
    const err = errorOf(json, './x.json');
    expect(err.message).toBe("site file ./x.json: nodes[3].floor: unknown floor 'F9'");
    expect(err.name).toBe('SiteFileError');
    expect(err.issues).toEqual([{ path: 'nodes[3].floor', message: "unknown floor 'F9'" }]);
  });

  it('reports shape errors with their field path', () => {
    const json = site() as unknown as { nodes: { x: unknown }[] };
    json.nodes[2]!.x = 'three';
    expect(errorOf(json, 'a.json').message).toMatch(/^site file a\.json: nodes\[2\]\.x: .*expected number/);
  });

  it('rejects misspelt fields instead of silently ignoring them', () => {
    const json = site() as unknown as { edges: Record<string, unknown>[] };
    json.edges[0]!['lenght'] = 4;
    expect(errorOf(json).issues[0]!.path).toBe('edges[0]');
    expect(errorOf(json).message).toContain('lenght');
  });

  it.each(['a/b', 'a+b', 'a#b', 'a$b', 'a b', ''])('rejects the node id %j (VDA 5050 id rules)', (id) => {
    const json = site();
    json.nodes[0]!.id = id;
    expect(errorOf(json).issues.some((i) => i.path === 'nodes[0].id')).toBe(true);
  });

  it('rejects edges whose endpoints do not exist', () => {
    const json = site();
    json.edges[0]!.to = 'NOPE';
    expect(errorOf(json).issues).toEqual([{ path: 'edges[0].to', message: "unknown node 'NOPE'" }]);
  });

  it('rejects edges that join two floors (floors are joined by lifts)', () => {
    const json = site();
    json.edges[0]!.to = 'L1';
    expect(errorOf(json).issues[0]!.path).toBe('edges[0].to');
  });

  it('rejects duplicate ids, reporting the second occurrence', () => {
    const json = site();
    json.edges[1]!.id = 'E1';
    json.nodes[2]!.id = 'L0';
    const paths = errorOf(json).issues.map((i) => i.path);
    expect(paths).toContain('edges[1].id');
    expect(paths).toContain('nodes[2].id');
  });

  it('rejects nodes naming an unknown ward or a ward on another floor', () => {
    const json = site();
    json.nodes[0]!.ward = 'W9';
    json.nodes[1]!.ward = 'W1';
    const issues = errorOf(json).issues;
    expect(issues).toContainEqual({ path: 'nodes[0].ward', message: "unknown ward 'W9'" });
    expect(issues.find((i) => i.path === 'nodes[1].ward')?.message).toMatch(/ward 'W1' is on floor 'F1'/);
  });

  it('requires every ward to have a ward_station node', () => {
    const json = site();
    json.nodes[3]!.kind = 'waypoint';
    expect(errorOf(json).issues).toEqual([{ path: 'wards[0]', message: "ward 'W1' has no ward_station node" }]);
  });

  it('requires lift lobbies to be lift_lobby nodes on distinct floors', () => {
    const notLobby = site();
    notLobby.lifts[0]!.serves = ['PH', 'L1'];
    expect(errorOf(notLobby).issues).toEqual([{ path: 'lifts[0].serves[0]', message: "node 'PH' is a pharmacy_dock, not a lift_lobby" }]);

    const sameFloor = site();
    sameFloor.nodes.push({ id: 'L1b', floor: 'F1', x: 5, y: 4, kind: 'lift_lobby' });
    sameFloor.lifts[0]!.serves = ['L0', 'L1', 'L1b'];
    expect(errorOf(sameFloor).issues[0]!.path).toBe('lifts[0].serves[2]');
  });

  it('lists every problem in one error', () => {
    const json = site();
    json.floors[1]!.level = 0;
    json.edges[0]!.from = 'X';
    json.edges[1]!.id = 'E1';
    const err = errorOf(json, 'y.json');
    expect(err.issues.map((i) => i.path)).toEqual(['floors[1].level', 'edges[1].id', 'edges[0].from']);
    expect(err.message.split('\n')).toEqual([
      'site file y.json: 3 problems:',
      "  floors[1].level: level 0 is already used by floor 'F0'",
      "  edges[1].id: duplicate edge id 'E1'",
      "  edges[0].from: unknown node 'X'",
    ]);
  });
});
