import { beforeEach, describe, expect, it } from '@jest/globals';
import { automock, newTestService, type TestService } from '#testing';
import { RuleViolationError, UnavailableError } from '#domain';
import { type CustodyEventEntity, CustodyTx, type DeliveryEntity, type DoseEntity } from '#persistence';
import { EventBus } from '../common/events.js';
import { CustodyLedger, type CustodyEventDraft } from './custody-ledger.service.js';
import { CustodyTransitions } from './custody-transitions.js';

const NURSE = { type: 'user' as const, id: 'n.okafor', role: 'nurse' };

function dose(state: DoseEntity['state'], extra: Partial<DoseEntity> = {}): DoseEntity {
  const at = new Date('2025-01-01T08:00:00Z');
  return {
    id: 'dose-1',
    orderId: 'order-1',
    patientId: 'patient-1',
    medicationId: 'med-1',
    slotId: null,
    state,
    heldFrom: null,
    gtin: '09506000134352',
    lot: 'LOT42',
    expiry: '2030-01-01',
    serial: 'S1',
    deliveryId: 'delivery-1',
    compartmentId: 'C1',
    location: 'W-CARD',
    custodian: 'n.okafor',
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
}

function delivery(state: DeliveryEntity['state']): DeliveryEntity {
  const at = new Date('2025-01-01T08:00:00Z');
  return {
    id: 'delivery-1',
    ward: 'W-CARD',
    stationNodeId: 'F1-CARD-STATION',
    state,
    robotId: 'robot-1',
    missionId: 'mission-1',
    compartments: { C1: ['dose-1'] },
    unlocks: [],
    createdBy: 'ph.li',
    courier: null,
    dispatchedAt: at,
    arrivedAt: at,
    createdAt: at,
    updatedAt: at,
  };
}

describe('CustodyTransitions', () => {
  let t: TestService<CustodyTransitions>;
  let tx: ReturnType<typeof automock<CustodyTx>>;
  /** the custody events recorded in the (simulated) transaction */
  let drafts: CustodyEventDraft[];
  /** what happened, in order: saves, the commit, announcements */
  let calls: string[];
  let commitFails: boolean;

  beforeEach(() => {
    t = newTestService(CustodyTransitions);
    tx = automock(CustodyTx);
    tx.save.mockImplementation(async (e) => {
      calls.push(`save:${(e as { state: string }).state}`);
      return e;
    });
    drafts = [];
    calls = [];
    commitFails = false;
    // the ledger's contract: run the work with a record function, commit, answer the committed events
    t.mock(CustodyLedger).runCommitted.mockImplementation(async (work) => {
      const result = await work(tx as unknown as CustodyTx, (d) => drafts.push(d));
      if (commitFails) {
        calls.push('commit failed');
        throw new UnavailableError('the database could not commit the write (SQLITE_FULL)', 'storage_unavailable', { cause: 'SQLITE_FULL' });
      }
      calls.push('commit');
      const committed = drafts.map((d, i) => ({ seq: i + 1, doseId: d.doseId ?? null, deliveryId: d.deliveryId ?? null }) as CustodyEventEntity);
      return { result, committed };
    });
    t.mock(EventBus).emit.mockImplementation((type) => {
      calls.push(`emit:${type}`);
    });
  });

  it('a legal dose move is persisted with its custody event and announced exactly once, after the commit', async () => {
    const d = dose('received');
    const saved = await t.sut.run((w) =>
      w.moveDose(d, 'administered', { action: 'administered', actor: NURSE, location: 'W-CARD', ward: 'W-CARD', evidence: { patientId: 'patient-1' } }),
    );
    expect(saved).toMatchObject({ id: 'dose-1', state: 'administered', location: 'W-CARD' });
    expect(tx.save).toHaveBeenCalledWith(d);
    expect(drafts).toEqual([
      {
        action: 'administered',
        doseId: 'dose-1',
        orderId: 'order-1',
        deliveryId: 'delivery-1',
        fromState: 'received',
        toState: 'administered',
        actor: NURSE,
        location: 'W-CARD',
        ward: 'W-CARD',
        evidence: { patientId: 'patient-1' },
      },
    ]);
    expect(calls).toEqual(['save:administered', 'commit', 'emit:custody.dose_changed']);
    expect(t.mock(EventBus).emit).toHaveBeenCalledTimes(1);
    expect(t.mock(EventBus).emit).toHaveBeenCalledWith('custody.dose_changed', {
      doseId: 'dose-1',
      ward: 'W-CARD',
      state: 'administered',
      patientId: 'patient-1',
      deliveryId: 'delivery-1',
    });
  });

  it('an illegal dose move throws the domain error, records and saves nothing and announces nothing', async () => {
    const d = dose('queued');
    const move = t.sut.run((w) => w.moveDose(d, 'administered', { action: 'administered', actor: NURSE, location: 'W-CARD', ward: 'W-CARD' }));
    await expect(move).rejects.toBeInstanceOf(RuleViolationError);
    await expect(move).rejects.toMatchObject({ code: 'illegal_transition' });
    expect(d.state).toBe('queued');
    expect(drafts).toEqual([]);
    expect(tx.save).not.toHaveBeenCalled();
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it("a dose held before picking resumes only where it was held (the machine's guard)", async () => {
    const d = dose('on_hold', { heldFrom: 'queued' });
    const actor = { type: 'user' as const, id: 'ph.li' };
    await expect(t.sut.run((w) => w.moveDose(d, 'picked', { action: 'resumed', actor, location: 'pharmacy', ward: null }))).rejects.toMatchObject({
      code: 'transition_guard_failed',
    });
    await t.sut.run((w) => w.moveDose(d, 'queued', { action: 'resumed', actor, location: 'pharmacy', ward: null }));
    expect(d.state).toBe('queued');
    expect(t.mock(EventBus).emit).toHaveBeenCalledTimes(1);
  });

  it('a failed commit announces nothing', async () => {
    commitFails = true;
    const d = dose('received');
    await expect(
      t.sut.run((w) => w.moveDose(d, 'administered', { action: 'administered', actor: NURSE, location: 'W-CARD', ward: 'W-CARD' })),
    ).rejects.toMatchObject({ code: 'storage_unavailable' });
    expect(calls).toEqual(['save:administered', 'commit failed']);
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it('a work that fails after a legal move (a later check) announces nothing', async () => {
    const d = dose('received');
    await expect(
      t.sut.run(async (w) => {
        await w.moveDose(d, 'administered', { action: 'administered', actor: NURSE, location: 'W-CARD', ward: 'W-CARD' });
        throw new RuleViolationError('the slot is already recorded', 'illegal_transition');
      }),
    ).rejects.toBeInstanceOf(RuleViolationError);
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it('announces each moved dose and delivery once, in committed order, and nothing for plain records', async () => {
    const d = dose('arrived');
    const del = delivery('unlocked');
    await t.sut.run(async (w) => {
      w.record({ action: 'receipt_extra_item', deliveryId: del.id, actor: NURSE, location: 'W-CARD', evidence: {} });
      await w.moveDose(d, 'receipt_discrepancy', { action: 'receipt_discrepancy', actor: NURSE, location: 'W-CARD', ward: 'W-CARD' });
      await w.moveDose(d, 'lost', { action: 'lost', actor: NURSE, location: 'W-CARD', ward: 'W-CARD' });
      await w.moveDelivery(del, 'completed', { actor: NURSE, location: 'W-CARD', evidence: { missing: [d.id] } });
    });
    expect(drafts.map((e) => e.action)).toEqual(['receipt_extra_item', 'receipt_discrepancy', 'lost', 'delivery_completed']);
    expect(calls.filter((c) => c.startsWith('emit'))).toEqual(['emit:custody.delivery_changed', 'emit:custody.dose_changed']);
    expect(t.mock(EventBus).emit).toHaveBeenCalledWith('custody.dose_changed', expect.objectContaining({ doseId: 'dose-1', state: 'lost' }));
    expect(t.mock(EventBus).emit).toHaveBeenCalledWith('custody.delivery_changed', {
      deliveryId: 'delivery-1',
      ward: 'W-CARD',
      state: 'completed',
      robotId: 'robot-1',
    });
  });

  it('an illegal delivery move throws and announces nothing', async () => {
    const del = delivery('building');
    await expect(t.sut.run((w) => w.moveDelivery(del, 'dispatched', { actor: NURSE, location: 'pharmacy' }))).rejects.toMatchObject({
      code: 'illegal_transition',
    });
    expect(del.state).toBe('building');
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });

  it('a transaction that records nothing announces nothing', async () => {
    await t.sut.run(async (w) => (await w.tx.dose('dose-1')) ?? null);
    expect(t.mock(EventBus).emit).not.toHaveBeenCalled();
  });
});
