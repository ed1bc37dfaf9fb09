import { describe, expect, it } from '@jest/globals';
import { graph } from './fleet.fixture.js';
import { mapMismatch } from './map-consistency.js';

const at = (lastNodeId: string, mapId: string, nodeStates: { nodeId: string; nodePosition?: { mapId: string } }[] = []) => ({
  lastNodeId,
  agvPosition: { mapId, positionInitialized: true },
  nodeStates,
});

describe('map consistency of a robot report', () => {
  it('accepts a position on the map of the last node', () => {
    expect(mapMismatch(graph, at('F2-ONC-STATION', 'F2'))).toBeUndefined();
    expect(mapMismatch(graph, at('F1-LIFT-A', 'F1', [{ nodeId: 'F1-CARD-STATION', nodePosition: { mapId: 'F1' } }]))).toBeUndefined();
  });

  it('flags a robot at the exit lobby of a lift ride that still reports the old floor (the stock vda-5050-lib AGV)', () => {
    const m = mapMismatch(graph, at('F2-LIFT-A', 'F1', [{ nodeId: 'F2-ONC-STATION' }]));
    expect(m).toEqual({
      nodeId: 'F2-LIFT-A',
      field: 'agvPosition.mapId',
      nodeMapId: 'F2',
      reportedMapId: 'F1',
      detail: 'reports node F2-LIFT-A (on map F2) as its last node but its position on map F1',
    });
    // the same at the end of its order (nothing left to traverse)
    expect(mapMismatch(graph, at('F2-LIFT-A', 'F1'))?.reportedMapId).toBe('F1');
  });

  it('accepts either floor while riding the lift, before the exit lobby is reached', () => {
    const riding = [{ nodeId: 'F2-LIFT-A' }, { nodeId: 'F2-ONC-STATION' }];
    expect(mapMismatch(graph, at('F1-LIFT-A', 'F1', riding))).toBeUndefined();
    expect(mapMismatch(graph, at('F1-LIFT-A', 'F2', riding))).toBeUndefined();
    // but not a third floor, nor the next floor when the next node is on the same floor
    expect(mapMismatch(graph, at('F1-LIFT-A', 'F0', riding))?.reportedMapId).toBe('F0');
    expect(mapMismatch(graph, at('F1-LIFT-A', 'F2', [{ nodeId: 'F1-CARD-STATION' }]))?.nodeMapId).toBe('F1');
  });

  it('flags a node state placed on another map', () => {
    const m = mapMismatch(
      graph,
      at('F1-LIFT-A', 'F1', [
        { nodeId: 'F1-CARD-STATION', nodePosition: { mapId: 'F1' } },
        { nodeId: 'F2-ONC-STATION', nodePosition: { mapId: 'F1' } },
      ]),
    );
    expect(m).toMatchObject({ nodeId: 'F2-ONC-STATION', field: 'nodeStates[1].nodePosition.mapId', nodeMapId: 'F2', reportedMapId: 'F1' });
  });

  it('does not judge what it cannot place: no position, an uninitialised one, or nodes the site does not know', () => {
    expect(mapMismatch(graph, { lastNodeId: 'F2-LIFT-A', nodeStates: [] })).toBeUndefined();
    expect(mapMismatch(graph, { lastNodeId: 'F2-LIFT-A', agvPosition: { mapId: 'F1', positionInitialized: false } })).toBeUndefined();
    expect(mapMismatch(graph, at('', 'F1'))).toBeUndefined();
    expect(mapMismatch(graph, at('ELSEWHERE', 'F1', [{ nodeId: 'NOWHERE', nodePosition: { mapId: 'F9' } }]))).toBeUndefined();
  });
});
