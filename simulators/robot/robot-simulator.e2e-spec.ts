import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import {
  dropFromCompartmentAction,
  lockCompartmentAction,
  orderAcknowledged,
  parseVdaTopic,
  pickIntoCompartmentAction,
  unlockCompartmentAction,
  validateVda,
  vdaTopic,
  type Order,
  type OrderNode,
  type State,
} from '#contracts';
import { parseFleetConfig } from './config.js';
import { RobotSimulator } from './robot-simulator.js';

const SERIAL = 'E2E-0001';
const MANUFACTURER = 'MedLoop';

interface Received {
  topic: string;
  message: Record<string, unknown>;
}

describe('RobotSimulator over MQTT (e2e)', () => {
  let broker: Aedes;
  let server: net.Server;
  let url: string;
  let controller: MqttClient;
  let robot: RobotSimulator | undefined;
  let received: Received[];
  let invalid: string[];

  beforeEach(async () => {
    broker = await Aedes.createBroker();
    server = net.createServer({ noDelay: true }, broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    controller = await connectAsync(url, { clientId: 'fleet-controller', reconnectPeriod: 0 });
    received = [];
    invalid = [];
    controller.on('message', (topic, payload) => {
      const parts = parseVdaTopic(topic);
      if (!parts || parts.topic === 'order' || parts.topic === 'instantActions') return;
      const result = validateVda(parts.topic, payload);
      if (!result.ok) invalid.push(`${parts.topic}: ${JSON.stringify(result.errors)}`);
      received.push({ topic: parts.topic, message: JSON.parse(payload.toString()) as Record<string, unknown> });
    });
    await controller.subscribeAsync(`uagv/v2/${MANUFACTURER}/${SERIAL}/+`, { qos: 1 });
  });

  afterEach(async () => {
    await robot?.stop();
    robot = undefined;
    await controller.endAsync(true);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function startRobot(): Promise<RobotSimulator> {
    const config = parseFleetConfig({
      brokerUrl: url,
      version: '2.1.0',
      timeScale: 20,
      tickMs: 20,
      liftTimeS: 4,
      visualizationIntervalS: 1,
      reconnectPeriodMs: 0,
      robots: [
        {
          manufacturer: MANUFACTURER,
          serialNumber: SERIAL,
          username: 'dev-e2e',
          password: 'secret',
          initialNode: { nodeId: 'pharmacy', x: 0, y: 0, mapId: 'F1' },
          speed: 2,
          compartments: [{ id: 'C1' }],
        },
      ],
    });
    const { robots, ...settings } = config;
    robot = new RobotSimulator({ robot: robots[0]!, settings });
    await robot.start();
    return robot;
  }

  const states = () => received.filter((r) => r.topic === 'state').map((r) => r.message as unknown as State);

  async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(states().at(-1))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function waitForRetained(client: MqttClient, topic: string): Promise<Buffer> {
    const message = new Promise<Buffer>((resolve) => client.on('message', (t, payload, packet) => t === topic && packet.retain && resolve(payload)));
    for (let attempt = 0; attempt < 50; attempt++) {
      await client.subscribeAsync(topic, { qos: 0 });
      const got = await Promise.race([message, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
      if (got) return got;
      await client.unsubscribeAsync(topic);
    }
    throw new Error(`no retained message on ${topic}`);
  }

  let headerId = 0;
  function sendOrder(order: Omit<Order, 'headerId' | 'timestamp' | 'version' | 'manufacturer' | 'serialNumber'>): Promise<unknown> {
    const message = { headerId: headerId++, timestamp: new Date().toISOString(), version: '2.1.0', manufacturer: MANUFACTURER, serialNumber: SERIAL, ...order };
    return controller.publishAsync(vdaTopic('uagv', MANUFACTURER, SERIAL, 'order'), JSON.stringify(message), { qos: 0 });
  }

  const node = (nodeId: string, sequenceId: number, x: number, y: number, mapId: string, actions: OrderNode['actions'] = []): OrderNode => ({
    nodeId,
    sequenceId,
    released: true,
    nodePosition: { x, y, mapId },
    actions,
  });
  const edge = (from: OrderNode, to: OrderNode) => ({
    edgeId: `${from.nodeId}->${to.nodeId}`,
    sequenceId: from.sequenceId + 1,
    released: true,
    startNodeId: from.nodeId,
    endNodeId: to.nodeId,
    actions: [],
  });

  it('drives an order across two floors, runs compartment actions and only publishes schema-valid messages', async () => {
    await startRobot();
    await waitFor('ONLINE', () => received.find((r) => r.topic === 'connection' && r.message['connectionState'] === 'ONLINE'));
    // The factsheet is retained: a controller that subscribes later still gets it. (Read from the
    // retained store: aedes 1.2 was seen to skip live forwarding of it, see the report.)
    const late = await connectAsync(url, { clientId: 'late-controller', reconnectPeriod: 0 });
    const factsheet = await waitForRetained(late, vdaTopic('uagv', MANUFACTURER, SERIAL, 'factsheet'));
    await late.endAsync(true);
    expect(validateVda('factsheet', factsheet)).toMatchObject({ ok: true });
    expect(JSON.parse(factsheet.toString()).protocolFeatures.agvActions.map((a: { actionType: string }) => a.actionType)).toEqual(
      expect.arrayContaining(['medloop.unlockCompartment', 'medloop.lockCompartment']),
    );

    const n0 = node('pharmacy', 0, 0, 0, 'F1', [
      unlockCompartmentAction({ actionId: 'u1', compartmentId: 'C1' }),
      pickIntoCompartmentAction({ actionId: 'p1', compartmentId: 'C1', loadId: 'dose-42' }),
      lockCompartmentAction({ actionId: 'l1', compartmentId: 'C1' }),
    ]);
    const n1 = node('lift-F1', 2, 6, 0, 'F1');
    const n2 = node('lift-F3', 4, 6, 0, 'F3');
    const n3 = node('ward-3', 6, 6, 4, 'F3', [
      unlockCompartmentAction({ actionId: 'u2', compartmentId: 'C1', recipientId: 'nurse-7' }),
      dropFromCompartmentAction({ actionId: 'd2', compartmentId: 'C1', loadId: 'dose-42' }),
      lockCompartmentAction({ actionId: 'l2', compartmentId: 'C1' }),
    ]);
    await sendOrder({ orderId: 'o-1', orderUpdateId: 0, nodes: [n0, n1, n2, n3], edges: [edge(n0, n1), edge(n1, n2), edge(n2, n3)] });

    const done = await waitFor('the order to finish at ward-3', () =>
      states().find(
        (s) =>
          s.lastNodeId === 'ward-3' && s.nodeStates.length === 0 && s.actionStates.length === 6 && s.actionStates.every((a) => a.actionStatus === 'FINISHED'),
      ),
    );
    expect(orderAcknowledged(done, 'o-1', 0)).toBe(true);
    expect(done.agvPosition).toMatchObject({ x: 6, y: 4, mapId: 'F3' });
    expect(done.loads).toEqual([]);
    // On the way the dose was in the locked compartment and the robot changed maps by lift.
    expect(states().some((s) => s.loads?.some((l) => l.loadId === 'dose-42' && l.loadPosition === 'C1'))).toBe(true);
    const maps = received.filter((r) => r.topic === 'visualization').map((r) => (r.message['agvPosition'] as { mapId: string }).mapId);
    expect(maps).toEqual(expect.arrayContaining(['F1', 'F3']));
    expect(states().some((s) => s.driving && s.agvPosition!.mapId === 'F1')).toBe(true);
    expect(invalid).toEqual([]);
  }, 30_000);

  it('re-echoes an order that was lost (QoS 0) once the controller resends it with the same ids', async () => {
    const sim = await startRobot();
    await waitFor('first state', () => states()[0]);
    const n0 = node('pharmacy', 0, 0, 0, 'F1');
    const n1 = node('bed-12', 2, 3, 0, 'F1');
    const order = { orderId: 'o-2', orderUpdateId: 0, nodes: [n0, n1], edges: [edge(n0, n1)] };

    sim.faults.dropIncoming(1, ['order']);
    await sendOrder(order);
    await waitFor('the drop', () => sim.stats.messagesDropped === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(states().some((s) => s.orderId === 'o-2')).toBe(false);

    sim.faults.dropIncoming(0, ['order']);
    await sendOrder(order);
    await waitFor('acknowledgement', () => states().find((s) => orderAcknowledged(s, 'o-2', 0)));
    await waitFor('arrival', () => states().find((s) => s.lastNodeId === 'bed-12' && s.nodeStates.length === 0));

    // A further resend of the same ids is idempotent: echoed again, nothing new accepted, no error.
    const before = states().length;
    await sendOrder(order);
    const echo = await waitFor('re-echo', () =>
      states()
        .slice(before)
        .find((s) => orderAcknowledged(s, 'o-2', 0)),
    );
    expect(echo.lastNodeId).toBe('bed-12');
    expect(echo.errors).toEqual([]);
    expect(sim.stats.ordersAccepted).toBe(1);

    // A lower orderUpdateId is refused with orderUpdateError; an invalid order names the field.
    await sendOrder({ ...order, orderUpdateId: -1 });
    await waitFor('validation error', () =>
      states().find((s) => s.errors.some((e) => e.errorType === 'validationError' && /orderUpdateId/.test(e.errorDescription ?? ''))),
    );
    await sendOrder({ orderId: 'o-2', orderUpdateId: 2, nodes: [node('bed-12', 2, 3, 0, 'F1')], edges: [] });
    await sendOrder({ orderId: 'o-2', orderUpdateId: 1, nodes: [node('bed-12', 2, 3, 0, 'F1')], edges: [] });
    await waitFor('orderUpdateError', () => states().find((s) => s.errors.some((e) => e.errorType === 'orderUpdateError')));
    expect(invalid).toEqual([]);
  }, 30_000);

  it('delivers the CONNECTIONBROKEN last will when the robot socket dies, then ONLINE after reconnect', async () => {
    const sim = await startRobot();
    await waitFor('ONLINE', () => received.find((r) => r.topic === 'connection' && r.message['connectionState'] === 'ONLINE'));
    await sim.faults.disconnect(0.2);
    const will = await waitFor('last will', () => received.find((r) => r.topic === 'connection' && r.message['connectionState'] === 'CONNECTIONBROKEN'));
    expect(will.message).toMatchObject({ manufacturer: MANUFACTURER, serialNumber: SERIAL, version: '2.1.0' });
    await waitFor('ONLINE again', () => received.filter((r) => r.topic === 'connection' && r.message['connectionState'] === 'ONLINE').length === 2);
    await sim.stop();
    await waitFor('OFFLINE', () => received.find((r) => r.topic === 'connection' && r.message['connectionState'] === 'OFFLINE'));
    expect(invalid).toEqual([]);
  }, 30_000);
});
