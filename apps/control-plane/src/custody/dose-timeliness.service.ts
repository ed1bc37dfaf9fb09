/**
 * Late and missed doses on the alarm list: a due slot with nothing recorded DOSE_LATE_GRACE_MS
 * after its scheduled time raises `custody.dose_late` (warning) for the patient's ward, one per
 * slot; it clears when the dose is recorded (given, held, refused), the order is stopped, or
 * the window closes — then the slot is missed and `custody.dose_missed` (critical) takes its
 * place, closed by the nurse's documentation (POST /api/alarms/:id/resolve). The MAR showed
 * "late" and "missed", yet nothing reached the nurse station. Runs on the slot timers'
 * tick (AdministrationSlotsService, every CUSTODY_TICK_MS), not a loop of its own.
 */
import { Inject, Injectable } from '@nestjs/common';
import { alarmKey, alarmSubject, type DoseSlotAlarmParams } from '#domain';
import { type AdministrationSlotEntity, CustodyRepository } from '#persistence';
import { slotContexts } from './slot-context.js';
import { AlarmsService } from '../alarms/alarms.service.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

export const DOSE_LATE_ALARM = 'custody.dose_late';
export const DOSE_MISSED_ALARM = 'custody.dose_missed';

/** Slot states in which a dose is still awaited at the bedside (a scan under way included). */
const AWAITED = ['due', 'verifying'];

type Described = { params: DoseSlotAlarmParams; ward: string | null };

@Injectable()
export class DoseTimelinessService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: CustodyRepository,
    private readonly alarms: AlarmsService,
  ) {}

  /** Raises `custody.dose_late` for each awaited slot past its grace (once per slot); clears those no longer awaited. */
  async check(now: number): Promise<void> {
    const awaited = await this.repo.slotsInStates(AWAITED);
    const awaitedIds = new Set(awaited.map((s) => s.id));
    // the bus clears one whose dose was recorded at once (alarm-conditions); this catches the rest (a stopped order, a restart)
    for (const a of this.alarms.openOfType(DOSE_LATE_ALARM)) {
      const slotId = alarmSubject(a.key);
      if (awaitedIds.has(slotId)) continue;
      const slot = await this.repo.slot(slotId);
      await this.alarms.clear(a.key, slot ? `dose slot ${slot.state.replace(/_/g, ' ')}` : 'dose slot gone');
    }
    const late = awaited.filter(
      (s) => now - s.scheduledAt.getTime() >= this.config.custody.doseLateGraceMs && !this.alarms.isOpen(alarmKey(DOSE_LATE_ALARM, s.id)),
    );
    for (const d of await this.describe(late, now)) {
      await this.alarms.raise({
        type: DOSE_LATE_ALARM,
        subject: d.params.slotId,
        ward: d.ward,
        sourceKind: 'administration_slot',
        sourceId: d.params.slotId,
        params: d.params,
      });
    }
  }

  /**
   * The slot's window closed unrecorded (called once, after the move to missed committed): its
   * late alarm clears, the missed one is raised. A crash between the two loses the alarm, never
   * the custody record (`slot_missed` on the chain).
   */
  async missed(slot: AdministrationSlotEntity, now: number): Promise<void> {
    await this.alarms.clear(alarmKey(DOSE_LATE_ALARM, slot.id), 'the window closed: the dose was missed');
    const [d] = await this.describe([slot], now);
    if (!d) return;
    await this.alarms.raise({
      type: DOSE_MISSED_ALARM,
      subject: slot.id,
      ward: d.ward,
      sourceKind: 'administration_slot',
      sourceId: slot.id,
      params: d.params,
    });
  }

  /** The patient, bed and drug of each slot, in three queries for all of them. */
  private async describe(slots: AdministrationSlotEntity[], now: number): Promise<Described[]> {
    if (slots.length === 0) return [];
    const contextOf = await slotContexts(this.repo, slots);
    return slots.map((s) => {
      const { patient: p, medication: m } = contextOf(s);
      return {
        ward: p?.ward ?? null,
        params: {
          slotId: s.id,
          doseId: s.doseId,
          orderId: s.orderId,
          patientId: s.patientId,
          patient: p?.name ?? null,
          bed: p?.bed ?? null,
          medication: m ? [m.name, m.strength].filter(Boolean).join(' ') : 'a medication',
          scheduledAt: s.scheduledAt.toISOString(),
          minutesLate: Math.max(0, Math.round((now - s.scheduledAt.getTime()) / 60_000)),
          windowMinutes: s.windowMinutes,
        },
      };
    });
  }
}
