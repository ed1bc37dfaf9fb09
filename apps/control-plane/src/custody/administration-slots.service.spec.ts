import { beforeEach, describe, expect, it } from '@jest/globals';
import { automock, newTestService, type TestService } from '#testing';
import { type AdministrationSlotEntity, CustodyRepository, CustodyTx } from '#persistence';
import { APP_CONFIG } from '../config/config.js';
import { AdministrationSlotsService, slotDueMove } from './administration-slots.service.js';
import { CustodyLedger, type CustodyEventDraft } from './custody-ledger.service.js';

const DUE = Date.parse('2025-01-01T10:00:00Z');
const MIN = 60_000;

function slot(state: AdministrationSlotEntity['state']): AdministrationSlotEntity {
  return {
    id: 'slot-1',
    orderId: 'order-1',
    patientId: 'patient-1',
    scheduledAt: new Date(DUE),
    windowMinutes: 60,
    state,
    doseId: 'dose-1',
    reason: null,
    recordedBy: null,
    recordedAt: null,
    override: null,
  } as AdministrationSlotEntity;
}

describe('slotDueMove', () => {
  it('is due once the window opens, missed once it closed, and nothing before', () => {
    expect(slotDueMove(slot('scheduled'), DUE - 61 * MIN)).toBeNull();
    expect(slotDueMove(slot('scheduled'), DUE - 60 * MIN)).toBe('due');
    expect(slotDueMove(slot('due'), DUE)).toBeNull();
    expect(slotDueMove(slot('due'), DUE + 61 * MIN)).toBe('missed');
    expect(slotDueMove(slot('scheduled'), DUE + 61 * MIN)).toBe('missed');
  });
});

describe('AdministrationSlotsService', () => {
  let t: TestService<AdministrationSlotsService>;
  let drafts: CustodyEventDraft[];
  let stored: AdministrationSlotEntity;

  beforeEach(() => {
    t = newTestService(AdministrationSlotsService, [[APP_CONFIG, { custody: { tickMs: 1000 } }]]);
    drafts = [];
    stored = slot('scheduled');
    const tx = automock(CustodyTx);
    tx.slot.mockImplementation(async () => stored);
    tx.save.mockImplementation(async (e) => e);
    t.mock(CustodyLedger).run.mockImplementation(async (work) => work(tx as unknown as CustodyTx, (d) => drafts.push(d)));
  });

  it('a scheduled slot whose window closed unrecorded goes through due to missed, recorded as slot_missed', async () => {
    t.mock(CustodyRepository).slotsInStates.mockResolvedValue([slot('scheduled')]);
    await t.sut.tick(DUE + 61 * MIN);
    expect(stored.state).toBe('missed');
    expect(drafts).toEqual([
      expect.objectContaining({ action: 'slot_missed', doseId: 'dose-1', orderId: 'order-1', evidence: expect.objectContaining({ slotState: 'missed' }) }),
    ]);
  });

  it('moves nothing before the window opens', async () => {
    t.mock(CustodyRepository).slotsInStates.mockResolvedValue([slot('scheduled')]);
    await t.sut.tick(DUE - 2 * 60 * MIN);
    expect(t.mock(CustodyLedger).run).not.toHaveBeenCalled();
  });
});
