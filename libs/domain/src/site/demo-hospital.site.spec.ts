import { describe, expect, it } from '@jest/globals';
import { parseSiteFile } from '#contracts';
import { createDemoHospitalGraph, DEMO_HOSPITAL_SITE } from './demo-hospital.site.js';

describe('DEMO_HOSPITAL_SITE', () => {
  const site = parseSiteFile(DEMO_HOSPITAL_SITE, 'DEMO_HOSPITAL_SITE');
  const graph = createDemoHospitalGraph();
  const level = new Map(site.floors.map((f) => [f.mapId, f.level]));

  it('is a valid site file', () => {
    expect(site.id).toBe('demo-hospital');
  });

  it('has a pharmacy dock on the ground floor and at least three wards upstairs, each with a station', () => {
    const docks = graph.nodesOfKind('pharmacy_dock');
    expect(docks.length).toBeGreaterThanOrEqual(1);
    expect(docks.every((n) => level.get(n.floor) === 0)).toBe(true);
    expect(site.wards.length).toBeGreaterThanOrEqual(3);
    for (const ward of site.wards) {
      expect(level.get(ward.floor)).toBeGreaterThan(0);
      expect(graph.nodesOfKind('ward_station', ward.id).length).toBeGreaterThanOrEqual(1);
      expect(graph.nodesOfKind('waypoint', ward.id).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('has at least three chargers and two lifts serving every floor', () => {
    expect(graph.nodesOfKind('charger').length).toBeGreaterThanOrEqual(3);
    expect(site.lifts).toHaveLength(2);
    for (const lift of site.lifts) {
      const floors = lift.serves.map((id) => graph.node(id).floor).sort();
      expect(floors).toEqual(site.floors.map((f) => f.mapId).sort());
    }
  });

  it('fits an 80 m × 40 m building', () => {
    for (const n of site.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.x).toBeLessThanOrEqual(80);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeLessThanOrEqual(40);
    }
  });

  it('lets a robot reach every node from the pharmacy and come back', () => {
    const dock = graph.nodesOfKind('pharmacy_dock')[0]!.id;
    const from = graph.timeTreeFrom(dock, { speed: 1 });
    const to = graph.timeTreeTo([dock], { speed: 1 });
    for (const n of site.nodes) {
      // Pair the id with the check so a failure names the stranded node.
      expect({ id: n.id, there: Number.isFinite(from.durationS(n.id)), back: Number.isFinite(to.durationS(n.id)) }).toEqual({
        id: n.id,
        there: true,
        back: true,
      });
    }
  });

  it('routes pharmacy → paediatrics station by lift, slowing through the ward door', () => {
    const route = graph.planRoute('F0-PHARMACY-DOCK', 'F3-PAED-STATION', { speed: 1.2 });
    expect(route.edges.filter((e) => e.kind === 'lift')).toHaveLength(1);
    expect(route.edges.some((e) => e.kind === 'door')).toBe(true);
    // Plausible for a hospital: a few minutes, well under ten.
    expect(route.durationS).toBeGreaterThan(60);
    expect(route.durationS).toBeLessThan(600);
  });
});
