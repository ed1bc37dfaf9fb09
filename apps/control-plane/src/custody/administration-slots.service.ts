/**
 * The timers of administration slots: a scheduled slot becomes due when its window opens and
 * missed once the window has closed with nothing recorded. Each move asserts the
 * administration machine and is recorded on the custody chain (`slot_due`, `slot_missed`) in
 * the transaction that saves it. Bedside outcomes (given, held, refused) are BedsideService's.
 * The same tick raises and clears the late and missed dose alarms (DoseTimelinessService).
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { administrationMachine, assertTransition, locationKey } from '#domain';
import { type AdministrationSlotEntity, CustodyRepository } from '#persistence';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SYSTEM } from './access.js';
import { CustodyLedger } from './custody-ledger.service.js';
import { DoseTimelinessService } from './dose-timeliness.service.js';

@Injectable()
export class AdministrationSlotsService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repo: CustodyRepository,
    private readonly ledger: CustodyLedger,
    private readonly doses: DoseTimelinessService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.tick(Date.now()).catch((err: unknown) => this.logger.error({ err }, 'administration slot timers')),
      this.config.custody.tickMs,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Moves every open slot whose window opened to due, and every one whose window closed to
   * missed (raising its missed-dose alarm once the move committed); then the late-dose alarms.
   */
  async tick(now: number): Promise<void> {
    for (const s of await this.repo.slotsInStates(['scheduled', 'due'])) {
      const to = slotDueMove(s, now);
      if (!to) continue;
      const moved = await this.move(s.id, to);
      if (to === 'missed') await this.doses.missed(moved, now);
    }
    await this.doses.check(now);
  }

  private move(slotId: string, to: 'due' | 'missed'): Promise<AdministrationSlotEntity> {
    return this.ledger.run(async (tx, record) => {
      const fresh = (await tx.slot(slotId))!;
      if (fresh.state === 'scheduled' && to === 'missed') {
        assertTransition(administrationMachine, fresh.state, 'due');
        fresh.state = 'due';
      }
      assertTransition(administrationMachine, fresh.state, to);
      const ward = (await tx.patient(fresh.patientId))?.ward ?? null;
      record({
        action: `slot_${to}`,
        doseId: fresh.doseId,
        orderId: fresh.orderId,
        fromState: null,
        toState: null,
        actor: SYSTEM,
        // a slot is the patient's: due or missed at their bedside, on their ward
        location: locationKey.bedside(fresh.patientId),
        ward,
        evidence: { slotId: fresh.id, scheduledAt: fresh.scheduledAt.toISOString(), slotState: to },
      });
      fresh.state = to;
      return tx.save(fresh);
    });
  }
}

/** Where the clock moves an open slot at `now`: missed after its window, due inside it, else nowhere. */
export function slotDueMove(s: Pick<AdministrationSlotEntity, 'state' | 'scheduledAt' | 'windowMinutes'>, now: number): 'due' | 'missed' | null {
  const opens = s.scheduledAt.getTime() - s.windowMinutes * 60_000;
  const closes = s.scheduledAt.getTime() + s.windowMinutes * 60_000;
  return now > closes ? 'missed' : s.state === 'scheduled' && now >= opens ? 'due' : null;
}
