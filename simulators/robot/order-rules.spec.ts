import { describe, expect, it } from '@jest/globals';
import type { Order, OrderEdge, OrderNode } from '#contracts';
import { decideOrder, orderStructureProblem, stitchOrder, type RouteProgress } from './order-rules.js';

const n = (nodeId: string, sequenceId: number, released = true, x = sequenceId): OrderNode => ({
  nodeId,
  sequenceId,
  released,
  nodePosition: { x, y: 0, mapId: 'F1' },
  actions: [],
});
const e = (a: OrderNode, b: OrderNode, released = true): OrderEdge => ({
  edgeId: `${a.nodeId}-${b.nodeId}`,
  sequenceId: a.sequenceId + 1,
  released,
  startNodeId: a.nodeId,
  endNodeId: b.nodeId,
  actions: [],
});
const order = (orderId: string, orderUpdateId: number, nodes: OrderNode[], edges: OrderEdge[]): Order => ({
  headerId: 1,
  timestamp: '2026-01-01T00:00:00Z',
  version: '2.1.0',
  manufacturer: 'M',
  serialNumber: 'S',
  orderId,
  orderUpdateId,
  nodes,
  edges,
});
const idle = (over: Partial<RouteProgress> = {}): RouteProgress => ({
  orderId: '',
  orderUpdateId: 0,
  lastNodeId: 'A',
  lastNodeSequenceId: 0,
  nodes: [],
  edges: [],
  unfinishedActions: 0,
  pose: { x: 0, y: 0, theta: 0, mapId: 'F1' },
  ...over,
});

describe('order acceptance rules', () => {
  const A = n('A', 0, true, 0),
    B = n('B', 2),
    C = n('C', 4, false),
    D = n('D', 6, false);
  const o1 = order('o1', 0, [A, B, C], [e(A, B), e(B, C, false)]);

  it('accepts a new order that starts at the current node', () => {
    expect(decideOrder(idle(), o1)).toEqual({ kind: 'new' });
  });

  it('accepts a new order whose first node is within the allowed deviation of the robot', () => {
    expect(decideOrder(idle({ lastNodeId: 'elsewhere', pose: { x: 0.3, y: 0, theta: 0, mapId: 'F1' } }), o1).kind).toBe('new');
    expect(decideOrder(idle({ lastNodeId: 'elsewhere', pose: { x: 0.3, y: 0, theta: 0, mapId: 'F2' } }), o1).kind).toBe('reject');
  });

  it('rejects a new order that does not start where the robot is', () => {
    expect(decideOrder(idle({ lastNodeId: 'Z', pose: { x: 50, y: 0, theta: 0, mapId: 'F1' } }), o1)).toMatchObject({
      kind: 'reject',
      error: { errorType: 'orderError' },
    });
  });

  it('rejects a different order while one is still active', () => {
    const busy = idle({ orderId: 'o0', nodes: [B], edges: [e(A, B)] });
    expect(decideOrder(busy, o1)).toMatchObject({ kind: 'reject', error: { errorType: 'orderError' } });
  });

  it('treats the same orderUpdateId as an idempotent resend', () => {
    expect(decideOrder(idle({ orderId: 'o1', orderUpdateId: 3 }), order('o1', 3, [A], []))).toEqual({ kind: 'resend' });
  });

  it('rejects a lower orderUpdateId with orderUpdateError', () => {
    expect(decideOrder(idle({ orderId: 'o1', orderUpdateId: 3 }), order('o1', 2, [A], []))).toMatchObject({
      kind: 'reject',
      error: { errorType: 'orderUpdateError' },
    });
  });

  it('accepts an update only when it starts at the end of the current base', () => {
    const running = idle({ orderId: 'o1', nodes: [B, C], edges: [e(A, B), e(B, C, false)] });
    expect(decideOrder(running, order('o1', 1, [B, { ...C, released: true }], [e(B, C)])).kind).toBe('update');
    expect(
      decideOrder(
        running,
        order(
          'o1',
          1,
          [
            { ...C, released: true },
            { ...D, released: true },
          ],
          [e(C, D)],
        ),
      ),
    ).toMatchObject({ error: { errorType: 'orderUpdateError' } });
  });

  it('stitches an update: keeps the unfinished base, replaces the horizon', () => {
    const running = idle({ orderId: 'o1', nodes: [B, C], edges: [e(A, B), e(B, C, false)] });
    const C2 = { ...C, released: true },
      D2 = n('D', 6, false);
    const route = stitchOrder(running, order('o1', 1, [B, C2, D2], [e(B, C2), e(C2, D2, false)]));
    expect(route.nodes.map((x) => `${x.nodeId}:${x.released}`)).toEqual(['B:true', 'C:true', 'D:false']);
    expect(route.edges.map((x) => x.edgeId)).toEqual(['A-B', 'B-C', 'C-D']);
    expect(route.stitchNodeReached).toBe(false);
  });

  it('stitches onto the node the robot stands on when the base is complete', () => {
    const waiting = idle({ orderId: 'o1', lastNodeId: 'B', lastNodeSequenceId: 2, nodes: [C], edges: [e(B, C, false)] });
    const C2 = { ...C, released: true };
    expect(decideOrder(waiting, order('o1', 1, [B, C2], [e(B, C2)])).kind).toBe('update');
    expect(stitchOrder(waiting, order('o1', 1, [B, C2], [e(B, C2)]))).toMatchObject({ nodes: [C2], stitchNodeReached: true });
  });

  it.each([
    ['edge count', order('x', 0, [A, B], [])],
    ['released after horizon', order('x', 0, [A, n('B', 2, false), n('C', 4)], [e(A, n('B', 2)), e(n('B', 2), n('C', 4))])],
    ['odd node sequenceId', order('x', 0, [n('A', 1)], [])],
    ['edge not connecting its nodes', order('x', 0, [A, B], [{ ...e(A, B), endNodeId: 'Q' }])],
    ['unreleased first node', order('x', 0, [n('A', 0, false)], [])],
  ])('finds structural problems: %s', (_name, bad) => {
    expect(orderStructureProblem(bad)).not.toBeNull();
  });
});
