/**
 * Turns untrusted JSON into a `Site`: the shape check (zod), then the checks that need the
 * whole file, then derived defaults (edge lengths). Every problem found is reported, not
 * just the first, so one round of editing fixes a file.
 */
import type { Site, SiteEdge, SiteFile, SiteNode } from './site.schema.js';
import { siteFileSchema } from './site.schema.js';
import { formatIssuePath, SiteFileError, type SiteFileIssue } from './site-file.error.js';

export function parseSiteFile(json: unknown, sourcePath?: string): Site {
  const parsed = siteFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
    throw new SiteFileError(sourcePath, issues);
  }
  const file = parsed.data;
  const issues = crossCheck(file);
  if (issues.length > 0) throw new SiteFileError(sourcePath, issues);

  const nodes = new Map(file.nodes.map((n) => [n.id, n]));
  const edges: SiteEdge[] = file.edges.map((e) => ({
    ...e,
    lengthM: e.lengthM ?? distance(nodes.get(e.from)!, nodes.get(e.to)!),
  }));
  return { ...file, edges };
}

function distance(a: SiteNode, b: SiteNode): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

function crossCheck(file: SiteFile): SiteFileIssue[] {
  const issues: SiteFileIssue[] = [];
  const fail = (path: string, message: string): void => {
    issues.push({ path, message });
  };

  const floors = indexUnique(file.floors, (f) => f.mapId, 'floors', 'mapId', 'floor', fail);
  const levels = new Map<number, string>();
  file.floors.forEach((f, i) => {
    const other = levels.get(f.level);
    if (other !== undefined && other !== f.mapId) fail(`floors[${i}].level`, `level ${f.level} is already used by floor '${other}'`);
    else levels.set(f.level, f.mapId);
  });

  const wards = indexUnique(file.wards, (w) => w.id, 'wards', 'id', 'ward', fail);
  file.wards.forEach((w, i) => {
    if (!floors.has(w.floor)) fail(`wards[${i}].floor`, `unknown floor '${w.floor}'`);
  });

  const nodes = indexUnique(file.nodes, (n) => n.id, 'nodes', 'id', 'node', fail);
  const stationsPerWard = new Map<string, number>();
  file.nodes.forEach((n, i) => {
    if (!floors.has(n.floor)) fail(`nodes[${i}].floor`, `unknown floor '${n.floor}'`);
    if (n.ward !== undefined) {
      const ward = wards.get(n.ward);
      if (!ward) fail(`nodes[${i}].ward`, `unknown ward '${n.ward}'`);
      // Only compare floors that exist, so one typo is reported once, not three times.
      else if (floors.has(n.floor) && ward.floor !== n.floor)
        fail(`nodes[${i}].ward`, `ward '${n.ward}' is on floor '${ward.floor}', the node is on '${n.floor}'`);
    }
    if (n.kind === 'ward_station') {
      if (n.ward === undefined) fail(`nodes[${i}].ward`, 'a ward_station must name its ward');
      else stationsPerWard.set(n.ward, (stationsPerWard.get(n.ward) ?? 0) + 1);
    }
  });
  // A ward without a station cannot receive deliveries: every mission to it would fail later.
  file.wards.forEach((w, i) => {
    if (!stationsPerWard.get(w.id)) fail(`wards[${i}]`, `ward '${w.id}' has no ward_station node`);
  });

  indexUnique(file.edges, (e) => e.id, 'edges', 'id', 'edge', fail);
  file.edges.forEach((e, i) => {
    const from = nodes.get(e.from);
    const to = nodes.get(e.to);
    if (!from) fail(`edges[${i}].from`, `unknown node '${e.from}'`);
    if (!to) fail(`edges[${i}].to`, `unknown node '${e.to}'`);
    if (e.from === e.to) fail(`edges[${i}].to`, `edge '${e.id}' starts and ends at '${e.from}'`);
    // Robots change floors only by lift; an edge across floors would let routing invent stairs.
    else if (from && to && floors.has(from.floor) && floors.has(to.floor) && from.floor !== to.floor) {
      fail(`edges[${i}].to`, `edge '${e.id}' joins floor '${from.floor}' to floor '${to.floor}'; floors are joined by lifts`);
    }
  });

  indexUnique(file.lifts, (l) => l.id, 'lifts', 'id', 'lift', fail);
  file.lifts.forEach((lift, i) => {
    const floorsServed = new Map<string, string>();
    lift.serves.forEach((lobbyId, j) => {
      const path = `lifts[${i}].serves[${j}]`;
      const lobby = nodes.get(lobbyId);
      if (!lobby) return fail(path, `unknown node '${lobbyId}'`);
      if (lobby.kind !== 'lift_lobby') return fail(path, `node '${lobbyId}' is a ${lobby.kind}, not a lift_lobby`);
      const other = floorsServed.get(lobby.floor);
      if (other !== undefined) return fail(path, `lift '${lift.id}' already serves floor '${lobby.floor}' at '${other}'`);
      floorsServed.set(lobby.floor, lobbyId);
    });
  });

  return issues;
}

/** Builds an id index and reports every duplicate at the position of its second use. */
function indexUnique<T>(
  items: readonly T[],
  key: (item: T) => string,
  list: string,
  field: string,
  noun: string,
  fail: (path: string, message: string) => void,
): Map<string, T> {
  const index = new Map<string, T>();
  items.forEach((item, i) => {
    const k = key(item);
    if (index.has(k)) fail(`${list}[${i}].${field}`, `duplicate ${noun} id '${k}'`);
    else index.set(k, item);
  });
  return index;
}
