import { describe, expect, it } from '@jest/globals';
import { lockCompartmentAction, unlockCompartmentAction, waitForRecipientAction, type Action, type Order, type OrderNode } from '#contracts';
import { applyInstantActions } from './instant-actions.js';
import { presentBadge } from './action-progress.js';
import { RobotModel } from './robot-model.js';

const model = () =>
  new RobotModel({ version: '2.1.0', initialNode: { nodeId: 'A', x: 0, y: 0, mapId: 'F1' }, speed: 1, compartments: [{ id: 'C1' }], liftTimeS: 5 });
const node = (nodeId: string, sequenceId: number, x: number, actions: Action[] = [], released = true): OrderNode => ({
  nodeId,
  sequenceId,
  released,
  nodePosition: { x, y: 0, mapId: 'F1' },
  actions,
});
const order = (nodes: OrderNode[], orderUpdateId = 0): Order => ({
  headerId: 0,
  timestamp: '2026-01-01T00:00:00Z',
  version: '2.1.0',
  manufacturer: 'M',
  serialNumber: 'S',
  orderId: 'o',
  orderUpdateId,
  nodes,
  edges: nodes
    .slice(1)
    .map((b, i) => ({ edgeId: `e${i}`, sequenceId: b.sequenceId - 1, released: b.released, startNodeId: nodes[i]!.nodeId, endNodeId: b.nodeId, actions: [] })),
});
const run = (m: RobotModel, seconds: number) => {
  for (let t = 0; t < seconds; t += 0.25) m.tick(0.25);
};
const status = (m: RobotModel, id: string) => m.snapshot().actionStates.find((a) => a.actionId === id)?.actionStatus;

describe('RobotModel', () => {
  it('drives only the released base and waits at its end for an update', () => {
    const m = model();
    m.receiveOrder(order([node('A', 0, 0), node('B', 2, 2), node('C', 4, 4, [], false)]));
    run(m, 1);
    expect(m.snapshot()).toMatchObject({ driving: true, lastNodeId: 'A', agvPosition: { x: 1 } });
    run(m, 5);
    expect(m.snapshot()).toMatchObject({ driving: false, lastNodeId: 'B', newBaseRequest: true, nodeStates: [{ nodeId: 'C', released: false }] });
    m.receiveOrder(order([node('B', 2, 2), node('C', 4, 4)], 1));
    run(m, 3);
    expect(m.snapshot()).toMatchObject({ lastNodeId: 'C', nodeStates: [], orderUpdateId: 1 });
  });

  it('runs HARD node actions one after another before driving on', () => {
    const m = model();
    const actions = [unlockCompartmentAction({ actionId: 'u', compartmentId: 'C1' }), lockCompartmentAction({ actionId: 'l', compartmentId: 'C1' })];
    m.receiveOrder(order([node('A', 0, 0, actions), node('B', 2, 1)]));
    m.tick(0.5);
    expect([status(m, 'u'), status(m, 'l'), m.driving]).toEqual(['RUNNING', 'WAITING', false]);
    run(m, 3);
    expect([status(m, 'u'), status(m, 'l'), m.snapshot().lastNodeId]).toEqual(['FINISHED', 'FINISHED', 'B']);
  });

  it('waits for the recipient, and fails the wait after its timeout', () => {
    const m = model();
    m.receiveOrder(order([node('A', 0, 0, [waitForRecipientAction({ actionId: 'w', recipientId: 'nurse-7', timeoutS: 30 })])]));
    run(m, 5);
    expect(status(m, 'w')).toBe('RUNNING');
    expect(m.snapshot().information?.some((i) => i.infoType === 'medloop.waiting')).toBe(true);
    expect(presentBadge(m.active, 'someone-else')).toBe(0);
    presentBadge(m.active, 'nurse-7');
    m.tick(0.25);
    expect(status(m, 'w')).toBe('FINISHED');

    const t = model();
    t.receiveOrder(order([node('A', 0, 0, [waitForRecipientAction({ actionId: 'w', recipientId: 'x', timeoutS: 2 })])]));
    run(t, 3);
    expect(status(t, 'w')).toBe('FAILED');
    expect(t.errors.map((e) => e.errorType)).toContain('medloop.waitTimeout');
  });

  it('pauses, cancels at the next node, and refuses to cancel nothing', () => {
    const m = model();
    expect(applyInstantActions(m, [{ actionId: 'c0', actionType: 'cancelOrder', blockingType: 'HARD' }])).toBeDefined();
    expect(m.errors.map((e) => e.errorType)).toContain('noOrderToCancel');
    m.receiveOrder(order([node('A', 0, 0), node('B', 2, 2), node('C', 4, 4)]));
    applyInstantActions(m, [{ actionId: 'p', actionType: 'startPause', blockingType: 'HARD' }]);
    run(m, 2);
    expect(m.snapshot()).toMatchObject({ paused: true, driving: false, agvPosition: { x: 0 } });
    applyInstantActions(m, [{ actionId: 'q', actionType: 'stopPause', blockingType: 'HARD' }]);
    run(m, 1);
    applyInstantActions(m, [{ actionId: 'c', actionType: 'cancelOrder', blockingType: 'HARD' }]);
    expect(status(m, 'c')).toBe('RUNNING');
    run(m, 5);
    expect(m.snapshot()).toMatchObject({ lastNodeId: 'B', nodeStates: [], driving: false });
    expect(status(m, 'c')).toBe('FINISHED');
  });

  it('charges only while charging, and drains while driving', () => {
    const m = model();
    m.receiveOrder(order([node('A', 0, 0, [{ actionId: 's', actionType: 'startCharging', blockingType: 'HARD' }])]));
    run(m, 3);
    expect(m.charging).toBe(true);
    m.batteryCharge = 50;
    run(m, 60);
    expect(m.batteryCharge).toBeGreaterThan(50);
  });
});
