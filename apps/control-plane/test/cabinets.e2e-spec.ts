/**
 * Smart cabinets end to end: real server, real broker, real simulated cabinets
 * (simulators/cabinet) acknowledging the server's commands, and a raw MQTT cabinet for the
 * malformed and duplicated messages a real device may send.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { CustodyEventEntity } from '#persistence';
import type { MqttClient } from 'mqtt';
import { deviceTopic, rejectionTopic, type RejectionEvent } from '#contracts';
import { connectMqtt, waitFor, waitForAsync, withCheck } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { EventBus, type DomainEventMap } from '../src/common/events.js';
import { CabinetFleet, parseCabinetFleetConfig, type CabinetSimulator } from '../../../simulators/cabinet/index.js';

const gtin = withCheck;
const PARACETAMOL = gtin('0950600013435');
const MORPHINE = gtin('0950600099999');

type User = { token: string; id: string; username: string; password: string };

describe('smart cabinets', () => {
  let t: TestApp;
  let fleet: CabinetFleet;
  let simA: CabinetSimulator;
  let simB: CabinetSimulator;
  let cabA: string;
  let cabB: string;
  let pharmacist: User;
  let nurseA: User;
  let nurseB: User;
  const removed: DomainEventMap['cabinet.removed'][] = [];
  let orderId: string;

  beforeAll(async () => {
    t = await startTestApp({ COMMAND_ACK_TIMEOUT_MS: '1500', ALARM_ESCALATION_CHECK_MS: '60000' });
    t.cp.app
      .get(EventBus)
      .on('cabinet.removed')
      .subscribe((e) => removed.push(e));
    const a = await t.registerDevice({ kind: 'cabinet', name: 'Cabinet 4W-A', ward: 'ward-4w' });
    const b = await t.registerDevice({ kind: 'cabinet', name: 'Cabinet 5E-A', ward: 'ward-5e' });
    cabA = a.device.id;
    cabB = b.device.id;
    fleet = new CabinetFleet(
      parseCabinetFleetConfig({
        brokerUrl: t.mqttUrl,
        // real time: commands carry an expiry on the server's clock, which the cabinet checks
        timeScale: 1,
        tickMs: 50,
        reconnectPeriodMs: 200,
        openDelayS: 0.1,
        accessS: 0.1,
        cabinets: [
          { deviceId: cabA, password: a.credentials.password },
          { deviceId: cabB, password: b.credentials.password },
        ],
      }),
    );
    await fleet.start();
    simA = fleet.get(cabA)!;
    simB = fleet.get(cabB)!;
    pharmacist = await t.userToken('pharmacist');
    nurseA = await t.userToken('nurse', ['ward-4w']);
    nurseB = await t.userToken('nurse', ['ward-5e']);
    // the cabinets reported their drawers and pockets (bounds generous: on a loaded 2-core CI
    // machine the two simulated cabinets' first reports took over 15 s once)
    await waitForAsync(async () => (await t.api('GET', `/api/cabinets/${cabA}`, { token: pharmacist.token })).body.pockets?.length === 12, 25_000, 'pockets A');
    await waitForAsync(async () => (await t.api('GET', `/api/cabinets/${cabB}`, { token: pharmacist.token })).body.pockets?.length === 12, 25_000, 'pockets B');
    await configure(cabA, 'D1-P1', PARACETAMOL, 'Paracetamol 500 mg');
    await configure(cabA, 'D1-P2', MORPHINE, 'Morphine 10 mg', true);
    await restock(cabA, 'D1-P1', 'L1', 10);
    await restock(cabA, 'D1-P2', 'M1', 5);
    // a real medication order in the custody feature, verified later in the test
    const med = await t.api('POST', '/api/medications', {
      token: pharmacist.token,
      body: { gtin: PARACETAMOL, name: 'Paracetamol', strength: '500 mg', route: 'oral' },
    });
    const pat = await t.api('POST', '/api/patients', {
      token: pharmacist.token,
      body: { mrn: 'MRN-CAB-1', wristbandGsrn: gtin('80180000000000771'), name: 'Cabinet Patient', ward: 'ward-4w' },
    });
    const ord = await t.api('POST', '/api/orders', {
      token: t.adminToken,
      body: {
        patientId: pat.body.id,
        medicationId: med.body.id,
        dose: { amount: 500, unit: 'mg' },
        route: 'oral',
        schedule: { times: [new Date(Date.now() + 3600_000).toISOString()] },
      },
    });
    orderId = ord.body.id;
  });

  afterAll(async () => {
    await fleet?.stop();
    await t?.close();
  });

  async function configure(cabinetId: string, pocketId: string, g: string, name: string, controlled = false) {
    const r = await t.api('PUT', `/api/cabinets/${cabinetId}/pockets/${pocketId}`, {
      token: pharmacist.token,
      body: { gtin: g, medicationName: name, controlled, parLevel: 4 },
    });
    expect(r.status).toBe(200);
  }

  async function restock(cabinetId: string, pocketId: string, lot: string, quantity: number, expiry = '2099-12-31') {
    const r = await t.api('POST', `/api/cabinets/${cabinetId}/pockets/${pocketId}/restock`, { token: pharmacist.token, body: { lot, expiry, quantity } });
    if (r.status !== 201) throw new Error(`restock ${cabinetId}/${pocketId}: ${r.status} ${r.text}`);
    await locked(cabinetId, pocketId);
    return r;
  }

  /** The simulated user has closed the pocket again (a cabinet refuses to unlock an open pocket). */
  async function locked(cabinetId: string, pocketId: string) {
    const sim = fleet.get(cabinetId)!;
    await waitFor(() => sim.model.pocket(pocketId)!.state === 'locked', 15_000, `${pocketId} locked`);
  }

  const remove = async (token: string, body: Record<string, unknown>, pocketId = 'D1-P1', cabinetId = cabA) => {
    await locked(cabinetId, pocketId);
    return t.api('POST', `/api/cabinets/${cabinetId}/pockets/${pocketId}/remove`, { token, body });
  };
  const ledger = async (cabinetId: string, pocketId: string) =>
    (await t.api('GET', `/api/cabinets/${cabinetId}/ledger?pocketId=${pocketId}`, { token: pharmacist.token })).body as Record<string, any>[];

  it('refuses a removal without authorisation, and with it sends the unlock the cabinet acknowledges', async () => {
    const otherWard = await remove(nurseB.token, { orderId: orderId, quantity: 1 });
    expect(otherWard.status).toBe(403);
    expect(otherWard.body.error).toBe('ward_forbidden');
    const noOrder = await remove(nurseA.token, { quantity: 1 });
    expect(noOrder.status).toBe(422);
    expect(noOrder.body.error).toBe('order_not_verified');
    const unverified = await remove(nurseA.token, { orderId: orderId, quantity: 1 });
    expect(unverified.status).toBe(422);
    expect(unverified.body.error).toBe('order_not_verified');
    const acksBefore = simA.link.stats.acks;
    expect((await ledger(cabA, 'D1-P1')).filter((e) => e['type'] === 'remove')).toEqual([]);
    // each refused removal is a record on the custody chain, found by the order it named
    const refused = (await t.api('GET', `/api/audit/events?orderId=${orderId}&action=cabinet_removal_refused`, { token: t.adminToken })).body.events;
    expect(refused.map((e: { code: string; location: string; ward: string }) => [e.code, e.location, e.ward])).toEqual([
      ['order_not_verified', `cabinet:${cabA}/D1`, 'ward-4w'],
    ]);

    // the pharmacist verifies the order in the custody feature
    expect((await t.api('POST', `/api/orders/${orderId}/verify`, { token: pharmacist.token })).status).toBe(200);
    const ok = await remove(nurseA.token, { orderId: orderId, quantity: 1, serial: 'SN-1' });
    expect(ok.status).toBe(201);
    expect(ok.body.command).toMatchObject({ type: 'unlockPocket', status: 'done', deviceId: cabA });
    expect(simA.link.stats.acks).toBeGreaterThan(acksBefore);
    const entries = await ledger(cabA, 'D1-P1');
    expect(entries[0]).toMatchObject({ type: 'remove', lot: 'L1', qty: 1, orderId: orderId, actor: nurseA.id, id: ok.body.entryId });
    await waitFor(() => removed.find((e) => e.entryId === ok.body.entryId), 2000, 'cabinet.removed');
    // the removal is on the order's custody chain: the source of the unit picked for it
    const chain = t.cp.app.get(DataSource).getRepository(CustodyEventEntity);
    const link = await waitForAsync(async () => chain.findOneBy({ action: 'cabinet_removed', orderId }), 3000, 'cabinet removal on the custody chain');
    expect(link.evidence).toMatchObject({ cabinetId: cabA, pocketId: 'D1-P1', lot: 'L1', ledgerEntryId: ok.body.entryId });
    expect(removed.find((e) => e.entryId === ok.body.entryId)).toMatchObject({
      cabinetId: cabA,
      pocketId: 'D1-P1',
      gtin: PARACETAMOL,
      lot: 'L1',
      expiry: '2099-12-31',
      serial: 'SN-1',
      userId: nurseA.id,
      orderId: orderId,
      quantity: 1,
    });
    // the simulated nurse opened and closed the pocket
    await waitForAsync(
      async () => {
        const cab = (await t.api('GET', `/api/cabinets/${cabA}`, { token: nurseA.token })).body;
        return cab.pockets.find((p: { pocketId: string }) => p.pocketId === 'D1-P1').lockState === 'locked' && simA.model.pocket('D1-P1')!.count === 9;
      },
      30_000,
      'pocket closed',
    );

    // an override with a reason opens it too, recorded as such
    const override = await remove(nurseA.token, { quantity: 1, override: { reason: 'emergency: order not yet verified' } });
    expect(override.status).toBe(201);
    expect((await ledger(cabA, 'D1-P1'))[0]).toMatchObject({ type: 'override_remove', reason: 'emergency: order not yet verified' });
    const nurseView = (await t.api('GET', `/api/cabinets/${cabA}`, { token: nurseA.token })).body.pockets.find(
      (p: { pocketId: string }) => p.pocketId === 'D1-P1',
    );
    expect(nurseView.count).toBeNull(); // nurses count blind
    const pharmView = (await t.api('GET', `/api/cabinets/${cabA}`, { token: pharmacist.token })).body.pockets.find(
      (p: { pocketId: string }) => p.pocketId === 'D1-P1',
    );
    expect(pharmView.count).toBe(8);
  });

  it('returns go to the return bin; controlled waste needs an authenticated second witness; expired lots are blocked', async () => {
    const rem = await remove(nurseA.token, { quantity: 1, override: { reason: 'pain score 8' } }, 'D1-P2');
    expect(rem.status).toBe(201);
    const removalId = rem.body.entryId as string;
    const waste = (body: Record<string, unknown>) =>
      t.api('POST', `/api/cabinets/${cabA}/pockets/D1-P2/waste`, { token: nurseA.token, body: { removalId, quantity: 1, ...body } });
    expect((await waste({})).body.error).toBe('witness_required');
    const wasteRefusal = (await t.api('GET', `/api/audit/events?action=cabinet_waste_refused&actor=${nurseA.username}`, { token: t.adminToken })).body.events;
    expect(wasteRefusal[0]).toMatchObject({ code: 'witness_required', evidence: { removalId, cabinetId: cabA, pocketId: 'D1-P2' } });
    // a pasted session token is no witness: the schema has no field for it
    const token = await waste({ witness: { token: pharmacist.token } });
    expect(token.status).toBe(400);
    expect(token.body.field).toBe('witness');
    expect((await waste({ witness: { username: nurseA.username, password: nurseA.password } })).body.error).toBe('witness_same_as_actor');
    // a nurse witnesses only on her own ward (cabinet A is ward-4w, nurse B is of ward-5e)
    expect((await waste({ witness: { username: nurseB.username, password: nurseB.password } })).body.error).toBe('witness_wrong_ward');
    const wrong = await waste({ witness: { username: pharmacist.username, password: 'not-the-password' } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toBe('witness_not_authenticated');
    const ok = await waste({ witness: { username: pharmacist.username, password: pharmacist.password } });
    expect(ok.status).toBe(201);
    expect((await ledger(cabA, 'D1-P2'))[0]).toMatchObject({
      type: 'waste',
      removalId,
      witness: { userId: pharmacist.id, authenticated: true, username: pharmacist.username, role: 'pharmacist', via: 'password' },
    });

    const back = await t.api('POST', `/api/cabinets/${cabA}/pockets/D1-P1/return`, {
      token: nurseA.token,
      body: { lot: 'L1', quantity: 1, destination: { pocketId: 'D1-P1' } },
    });
    expect(back.status).toBe(422);
    expect(back.body.error).toBe('return_to_original_pocket');
    const bin = await t.api('POST', `/api/cabinets/${cabA}/pockets/D1-P1/return`, { token: nurseA.token, body: { lot: 'L1', quantity: 1 } });
    expect(bin.status).toBe(201);
    expect(bin.body.inventory.returnedToBin).toBe(1);

    const expired = await t.api('POST', `/api/cabinets/${cabA}/pockets/D1-P1/restock`, {
      token: pharmacist.token,
      body: { lot: 'OLD', expiry: '2020-01-31', quantity: 2 },
    });
    expect(expired.status).toBe(422);
    expect(expired.body.error).toBe('lot_expired');
  });

  it('a removal resent with its Idempotency-Key opens nothing and records nothing twice', async () => {
    await locked(cabA, 'D1-P2');
    const removes = async () => (await ledger(cabA, 'D1-P2')).filter((e) => e['type'] === 'override_remove').length;
    const before = await removes();
    const key = `rm-${Date.now()}`;
    const body = { quantity: 1, override: { reason: 'breakthrough pain' } };
    const send = () => t.api('POST', `/api/cabinets/${cabA}/pockets/D1-P2/remove`, { token: nurseA.token, body, headers: { 'idempotency-key': key } });
    const first = await send();
    expect(first.status).toBe(201);
    const commandsBefore = (await t.api('GET', `/api/cabinets/${cabA}/commands`, { token: pharmacist.token })).body.length as number;
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.body.entryId).toBe(first.body.entryId);
    expect(await removes()).toBe(before + 1);
    // no second unlock went to the cabinet
    expect((await t.api('GET', `/api/cabinets/${cabA}/commands`, { token: pharmacist.token })).body.length).toBe(commandsBefore);
  });

  it('shows an unacknowledged command timing out, with an alarm', async () => {
    simB.faults.ignoreCommands(1);
    const r = await t.api('POST', `/api/cabinets/${cabB}/lockdown`, { token: pharmacist.token, body: { reason: 'diversion review' } });
    simB.faults.ignoreCommands(0);
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('command_timed_out');
    const commands = (await t.api('GET', `/api/cabinets/${cabB}/commands`, { token: nurseB.token })).body;
    expect(commands[0]).toMatchObject({ type: 'lockdown', status: 'timed_out', commandId: r.body.details.commandId });
    const alarms = (await t.api('GET', '/api/alarms?type=device.command_timed_out', { token: nurseB.token })).body;
    expect(alarms.find((a: { details: { commandId: string } }) => a.details.commandId === r.body.details.commandId)).toMatchObject({
      state: 'raised',
      ward: 'ward-5e',
      source: { id: cabB },
    });
    expect((await t.api('GET', `/api/device-commands/${r.body.details.commandId}`, { token: nurseB.token })).body.status).toBe('timed_out');
  });

  it('answers a removal only on the cabinet confirming the unlock: its refusal gives its reason, its silence times out, neither records anything', async () => {
    const removes = async () => (await ledger(cabA, 'D1-P2')).filter((e) => e['type'] === 'override_remove').length;
    const before = await removes();
    expect((await t.api('POST', `/api/cabinets/${cabA}/lockdown`, { token: pharmacist.token, body: { reason: 'audit' } })).status).toBe(200);
    const refused = await remove(nurseA.token, { quantity: 1, override: { reason: 'pain' } }, 'D1-P2');
    expect((await t.api('POST', `/api/cabinets/${cabA}/release-lockdown`, { token: pharmacist.token })).status).toBe(200);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('unlock_refused');
    expect(refused.body.message).toContain('cabinet is locked down');
    expect(refused.body.details.detail).toBe('cabinet is locked down');
    simA.faults.ignoreCommands(1);
    const silent = await remove(nurseA.token, { quantity: 1, override: { reason: 'pain' } }, 'D1-P2');
    simA.faults.ignoreCommands(0);
    expect(silent.status).toBe(503);
    expect(silent.body.error).toBe('command_timed_out');
    expect(simA.model.pocket('D1-P2')!.state).toBe('locked');
    expect(await removes()).toBe(before);
  });

  it('opens a discrepancy on a count mismatch and a pharmacist resolves it', async () => {
    // the nurse counts blind; the pharmacist may see the expected quantity
    const blind = await t.api('GET', `/api/cabinets/${cabA}/pockets/D1-P1/count?blind=false`, { token: nurseA.token });
    expect(blind.body).toEqual({ pocketId: 'D1-P1', medicationId: PARACETAMOL, medicationName: 'Paracetamol 500 mg', blind: true });
    const open = await t.api('GET', `/api/cabinets/${cabA}/pockets/D1-P1/count?blind=false`, { token: pharmacist.token });
    expect(open.body.expected).toBe(8);

    simA.faults.miscount('D1-P1', -3);
    const req = await t.api('POST', `/api/cabinets/${cabA}/pockets/D1-P1/count-request`, { token: nurseA.token, body: { blind: true } });
    expect(req.status).toBe(200);
    expect(req.body.status).toBe('done');
    const d = await waitForAsync(
      async () => ((await t.api('GET', '/api/discrepancies?state=open', { token: nurseA.token })).body as any[]).find((x) => x.pocketId === 'D1-P1'),
      15_000,
      'discrepancy',
    );
    expect(d).toMatchObject({ cabinetId: cabA, ward: 'ward-4w', status: 'open', expected: 8, blind: true });
    expect(d.counted).toBeLessThan(8);
    expect((await t.api('GET', '/api/alarms?type=cabinet.discrepancy', { token: nurseA.token })).body[0]).toMatchObject({ state: 'raised' });

    expect((await t.api('POST', `/api/discrepancies/${d.id}/resolve`, { token: nurseA.token, body: { reason: 'x', outcome: 'keep_expected' } })).status).toBe(
      403,
    );
    expect((await t.api('POST', `/api/discrepancies/${d.id}/resolve`, { token: pharmacist.token, body: { outcome: 'keep_expected' } })).body.field).toBe(
      'reason',
    );
    const resolved = await t.api('POST', `/api/discrepancies/${d.id}/resolve`, {
      token: pharmacist.token,
      body: { reason: 'units found in the return bin', outcome: 'keep_expected' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', reason: 'units found in the return bin', resolvedBy: pharmacist.id });
    expect(((await t.api('GET', '/api/discrepancies?state=open', { token: pharmacist.token })).body as any[]).some((x) => x.id === d.id)).toBe(false);
    await waitForAsync(
      async () => (await t.api('GET', '/api/alarms?type=cabinet.discrepancy', { token: nurseA.token })).body[0].state === 'cleared',
      3000,
      'alarm cleared',
    );
  });

  it('locks a recalled lot in every cabinet and in every ledger', async () => {
    await configure(cabA, 'D2-P1', PARACETAMOL, 'Paracetamol 500 mg');
    await configure(cabB, 'D1-P1', PARACETAMOL, 'Paracetamol 500 mg');
    await restock(cabA, 'D2-P1', 'RC1', 6);
    await restock(cabB, 'D1-P1', 'RC1', 6);
    const r = await t.api('POST', '/api/recalls', { token: pharmacist.token, body: { gtin: PARACETAMOL, lot: 'RC1', reason: 'supplier recall 2025-17' } });
    expect(r.status).toBe(201);
    expect(r.body.commands.map((c: { deviceId: string; type: string; status: string }) => [c.deviceId, c.type, c.status]).sort()).toEqual(
      [
        [cabA, 'lockLot', 'done'],
        [cabB, 'lockLot', 'done'],
      ].sort(),
    );
    expect(simA.model.lockedLots.has('RC1') && simB.model.lockedLots.has('RC1')).toBe(true);
    expect(r.body.affectedPockets).toHaveLength(2);
    // recalled twice: refused, and the refusal is on the record
    const again = await t.api('POST', '/api/recalls', { token: pharmacist.token, body: { gtin: PARACETAMOL, lot: 'RC1', reason: 'supplier recall 2025-17' } });
    expect(again.body.error).toBe('recall_exists');
    const recallRefusals = (await t.api('GET', `/api/audit/events?action=recall_refused&actor=${pharmacist.username}`, { token: t.adminToken })).body.events;
    expect(recallRefusals[0]).toMatchObject({ code: 'recall_exists', location: 'pharmacy', evidence: { gtin: PARACETAMOL, lot: 'RC1' } });
    const blocked = await remove(nurseA.token, { quantity: 1, lot: 'RC1', override: { reason: 'test' } }, 'D2-P1');
    expect(blocked.status).toBe(422);
    expect(blocked.body.error).toBe('lot_recalled');
    const blockedB = await remove(nurseB.token, { quantity: 1, override: { reason: 'test' } }, 'D1-P1', cabB);
    expect(blockedB.body.error).toBe('lot_recalled');
    expect((await t.api('POST', '/api/recalls', { token: pharmacist.token, body: { gtin: PARACETAMOL, lot: 'RC1', reason: 'again' } })).status).toBe(409);
    expect((await t.api('POST', '/api/recalls', { token: nurseA.token, body: { gtin: PARACETAMOL, lot: 'RC2', reason: 'x' } })).status).toBe(403);
  });

  describe('with a raw MQTT cabinet', () => {
    let id: string;
    let client: MqttClient;
    const rejections: RejectionEvent[] = [];
    let seq = 0;
    const msg = (body: Record<string, unknown>, s = ++seq) => JSON.stringify({ v: 1, deviceId: id, seq: s, ts: new Date().toISOString(), ...body });
    const publish = (channel: 'telemetry' | 'event' | 'ack', payload: string) => client.publishAsync(deviceTopic('cabinet', id, channel), payload, { qos: 1 });

    beforeAll(async () => {
      const reg = await t.registerDevice({ kind: 'cabinet', name: 'Raw cabinet', ward: 'ward-4w' });
      id = reg.device.id;
      client = await connectMqtt(t.mqttUrl, { username: id, password: reg.credentials.password });
      client.on('message', (topic, payload) => {
        if (topic === rejectionTopic(id)) rejections.push(JSON.parse(payload.toString()) as RejectionEvent);
      });
      await client.subscribeAsync(rejectionTopic(id), { qos: 1 });
      await configure(id, 'P1', PARACETAMOL, 'Paracetamol 500 mg');
    });

    afterAll(async () => {
      await client?.endAsync(true);
    });

    it('rejects bad payloads with a rejection event and counts them; applies a duplicate count once', async () => {
      await publish('event', msg({ type: 'countEntered', pocketId: 'P1', userId: 'n1', counted: -1, blind: true }));
      await publish('telemetry', msg({ lockdown: 'no', drawers: [] }));
      await publish('ack', msg({ commandId: 'never-sent', result: 'done' }));
      await waitFor(() => rejections.length >= 3, 5000, 'rejections');
      expect(rejections[0]).toMatchObject({ reason: 'schema', errors: [{ path: 'counted' }] });
      expect(rejections[1]!.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['lockdown', 'drawers']));
      expect(rejections[2]).toMatchObject({ reason: 'unknown_command', errors: [{ path: 'commandId' }] });
      expect(await ledger(id, 'P1')).toEqual([]);

      const count = msg({ type: 'countEntered', pocketId: 'P1', userId: nurseA.id, counted: 2, blind: true });
      await publish('event', count);
      await publish('event', count); // QoS 1 redelivery
      await waitForAsync(async () => (await ledger(id, 'P1')).length === 1, 5000, 'one count');
      await new Promise((r) => setTimeout(r, 200));
      expect((await ledger(id, 'P1')).map((e) => e['type'])).toEqual(['count']);
      const cab = (await t.api('GET', `/api/cabinets/${id}`, { token: pharmacist.token })).body;
      expect(cab.link).toMatchObject({ duplicates: 1, rejected: { schema: 2, unknown_command: 1 } });
      // counted 2 where 0 were expected: a discrepancy
      expect(cab.openDiscrepancies).toBe(1);
      const metrics = (await t.api('GET', '/metrics')).text;
      expect(metrics).toMatch(/medloop_rejected_inputs_total\{channel="mqtt",family="medloop\.cabinet\.event",reason="schema"\} [1-9]/);
    });
  });
});
