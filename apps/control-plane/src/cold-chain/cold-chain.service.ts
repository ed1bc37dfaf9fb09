/**
 * Cold chain of every storage unit: ward fridges (sensor telemetry), refrigerated cabinet
 * drawers (cabinet telemetry) and robot compartments (fed by the fleet/custody features via
 * `record`). Each unit runs the pure evaluator (libs/domain/cold-chain: debounce, hysteresis,
 * exposure windows); an excursion is persisted, raises a critical alarm for the ward and is
 * announced as `coldchain.excursion`. A quarantine is announced too (again when its exposure
 * window closes, and when the pharmacist, who alone ends it, releases or destroys the stock)
 * and raises an alarm for the pharmacist; custody hears it, quarantines every exposed dose
 * and reports back how many (`recordDosesQuarantined`). The cold chain knows nothing of doses.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  ConflictError,
  evaluateColdChain,
  filterInWardScope,
  INITIAL_COLD_CHAIN_STATE,
  NotFoundError,
  REFRIGERATED_PROFILE,
  releaseQuarantine,
  validateColdChainProfile,
  type ColdChainProfile,
  type ColdChainState,
  type ColdChainStatus,
  type ExposureWindow,
  type QuarantineDisposition,
  type WardScopedUser,
} from '#domain';
import { SensorRepository, type SensorExcursionEntity } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import type { StorageKind } from '#contracts';
import type { AuthUser } from '../common/auth.decorators.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { KeyedQueue } from '../common/keyed-queue.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

export interface StorageReading {
  storageId: string;
  storageKind: StorageKind;
  ward: string | null;
  temperatureC: number;
  /**
   * time of measurement (ISO 8601) as the server judged it: for device readings the edge's
   * `judgedAt`, never the device's own `ts`, since excursion and quarantine durations are
   * measured on it
   */
  at: string;
}

export interface StorageView {
  storageId: string;
  storageKind: StorageKind;
  ward: string | null;
  status: ColdChainStatus;
  since: string | null;
  lastC: number | null;
  lastAt: string | null;
  excursionId: string | null;
}

export interface ExcursionView {
  id: string;
  storageId: string;
  storageKind: string;
  ward: string | null;
  status: string;
  window: { start: string; end: string | null };
  minC: number;
  maxC: number;
  dosesQuarantined: number | null;
  decidedBy: string | null;
  decidedAt: string | null;
}

interface Storage {
  storageId: string;
  storageKind: StorageKind;
  ward: string | null;
  state: ColdChainState;
  excursion: SensorExcursionEntity | null;
}

export const EXCURSION_ALARM = 'coldchain.excursion';
export const QUARANTINE_ALARM = 'coldchain.quarantine';

@Injectable()
export class ColdChainService implements OnModuleInit {
  private readonly storages = new Map<string, Storage>();
  private readonly queue = new KeyedQueue();
  /** 2–8 °C with the configured durations (COLD_CHAIN_*) */
  private readonly profile: ColdChainProfile;

  constructor(
    private readonly repo: SensorRepository,
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.profile = validateColdChainProfile({ ...REFRIGERATED_PROFILE, ...config.coldChain });
  }

  /** Units still in an excursion or quarantine come back as they were (stock stays locked). */
  async onModuleInit(): Promise<void> {
    for (const e of await this.repo.listExcursions({ statuses: ['excursion', 'recovering', 'quarantine'], limit: 10_000 })) {
      const status: ColdChainStatus = e.status === 'quarantine' ? 'quarantine' : 'excursion';
      const exposure: ExposureWindow | null = e.end ? null : { start: e.start.toISOString(), end: null, minC: e.minC, maxC: e.maxC };
      this.storages.set(e.storageId, {
        storageId: e.storageId,
        storageKind: e.storageKind as StorageKind,
        ward: e.ward,
        state: { ...INITIAL_COLD_CHAIN_STATE, status, since: e.start.toISOString(), outSince: exposure ? exposure.start : null, exposure },
        excursion: e,
      });
    }
  }

  /** Feeds one temperature of one unit (robot compartments: call this from the fleet/custody side). */
  record(r: StorageReading): Promise<void> {
    return this.queue.run(r.storageId, () => this.apply(r));
  }

  isQuarantined(storageId: string): boolean {
    return this.storages.get(storageId)?.state.status === 'quarantine';
  }

  status(storageId: string): ColdChainStatus | null {
    return this.storages.get(storageId)?.state.status ?? null;
  }

  storagesView(ward?: string): StorageView[] {
    return [...this.storages.values()].filter((s) => !ward || s.ward === ward).map(storageView);
  }

  /** A ward fridge's excursions for its ward; a pharmacy unit's for the roles that see every ward. */
  async excursions(filter: { state?: 'open' | 'all' | undefined; limit?: number | undefined }, user: WardScopedUser): Promise<ExcursionView[]> {
    const statuses = filter.state === 'all' ? undefined : ['excursion', 'recovering', 'quarantine'];
    return filterInWardScope(user, await this.repo.listExcursions({ statuses, limit: filter.limit }), (e) => e.ward).map(excursionView);
  }

  /** The pharmacist's decision on a quarantined unit's stock; the unit returns to service. */
  async decide(excursionId: string, disposition: QuarantineDisposition, user: AuthUser): Promise<ExcursionView> {
    const e = await this.repo.findExcursion(excursionId);
    if (!e) throw new NotFoundError('Excursion', excursionId);
    return this.queue.run(e.storageId, async () => {
      const s = this.storages.get(e.storageId);
      if (!s || s.excursion?.id !== e.id || s.state.status !== 'quarantine')
        throw new ConflictError(`excursion ${excursionId} is not in quarantine`, 'not_in_quarantine', { status: e.status });
      const at = new Date();
      s.state = releaseQuarantine(s.state, { at: at.toISOString(), by: user.username, disposition }).state;
      Object.assign(e, { status: disposition, decidedBy: user.username, decidedAt: at });
      await this.repo.saveExcursion(e);
      s.excursion = null;
      await this.alarms.clear(`${QUARANTINE_ALARM}:${s.storageId}`, `stock ${disposition} by ${user.username}`);
      this.announce(s, e, disposition, user.username);
      return excursionView(e);
    });
  }

  private async apply(r: StorageReading): Promise<void> {
    let s = this.storages.get(r.storageId);
    if (!s)
      this.storages.set(
        r.storageId,
        (s = { storageId: r.storageId, storageKind: r.storageKind, ward: r.ward, state: INITIAL_COLD_CHAIN_STATE, excursion: null }),
      );
    s.ward = r.ward;
    const result = evaluateColdChain(this.profile, s.state, { temperatureC: r.temperatureC, at: r.at });
    if (result.ignored) return;
    s.state = result.state;
    for (const w of result.exposures) await this.onExposure(s, w);
    for (const t of result.transitions) {
      if (t.to === 'excursion' && s.excursion && s.excursion.status !== 'excursion') await this.setStatus(s, 'excursion');
      if (t.to === 'recovering') await this.setStatus(s, 'recovering');
      if (t.to === 'quarantine') await this.onQuarantine(s);
    }
  }

  /** An exposure window opened (excursion confirmed) or closed (the unit recovered). */
  private async onExposure(s: Storage, w: ExposureWindow): Promise<void> {
    if (w.end === null) {
      const e: SensorExcursionEntity = {
        id: randomUUID(),
        storageId: s.storageId,
        storageKind: s.storageKind,
        ward: s.ward,
        status: 'excursion',
        start: new Date(w.start),
        end: null,
        minC: w.minC,
        maxC: w.maxC,
        dosesQuarantined: null,
        decidedBy: null,
        decidedAt: null,
      };
      s.excursion = e;
      await this.repo.saveExcursion(e);
      await this.alarms.raise({
        type: EXCURSION_ALARM,
        subject: s.storageId,
        ward: s.ward,
        sourceKind: s.storageKind,
        sourceId: s.storageId,
        params: {
          storageId: s.storageId,
          excursionId: e.id,
          minAllowedC: this.profile.min,
          maxAllowedC: this.profile.max,
          window: { start: w.start, end: null },
          nowC: s.state.lastC ?? w.maxC,
          minC: w.minC,
          maxC: w.maxC,
        },
      });
      this.announce(s, e, 'excursion');
      return;
    }
    const e = s.excursion;
    if (!e) return;
    Object.assign(e, { end: new Date(w.end), minC: w.minC, maxC: w.maxC });
    const quarantined = s.state.status === 'quarantine';
    if (!quarantined) e.status = 'closed';
    await this.repo.saveExcursion(e);
    await this.alarms.clear(`${EXCURSION_ALARM}:${s.storageId}`, `back in range since ${w.end}`);
    if (quarantined) {
      // the window is final now: custody hears it and re-checks which doses were exposed
      this.announce(s, e, 'quarantine');
    } else {
      s.excursion = null;
      this.announce(s, e, 'closed');
    }
  }

  private async onQuarantine(s: Storage): Promise<void> {
    const e = s.excursion;
    if (!e) return;
    e.status = 'quarantine';
    await this.repo.saveExcursion(e);
    await this.alarms.raise({ type: QUARANTINE_ALARM, ...quarantineAlarm(s, e) });
    this.announce(s, e, 'quarantine');
  }

  /**
   * Custody's answer to a quarantine: how many doses it holds in quarantine for the excursion
   * (it answers again when the window closes). Stored on the excursion, in the unit's queue so
   * it never races the unit's own saves of the same row.
   */
  async recordDosesQuarantined(excursionId: string, count: number): Promise<void> {
    const found = await this.repo.findExcursion(excursionId);
    if (!found) throw new NotFoundError('Excursion', excursionId);
    await this.queue.run(found.storageId, async () => {
      const current = this.storages.get(found.storageId)?.excursion;
      const e = current?.id === excursionId ? current : ((await this.repo.findExcursion(excursionId)) ?? found);
      if (e.dosesQuarantined === count) return;
      e.dosesQuarantined = count;
      await this.repo.saveExcursion(e);
      // the pharmacist's alarm says how many doses wait for the decision
      const s = this.storages.get(e.storageId);
      if (s && s.excursion?.id === e.id && s.state.status === 'quarantine') await this.alarms.update({ type: QUARANTINE_ALARM, ...quarantineAlarm(s, e) });
    });
  }

  private async setStatus(s: Storage, status: string): Promise<void> {
    if (!s.excursion || s.excursion.status === 'quarantine') return;
    s.excursion.status = status;
    await this.repo.saveExcursion(s.excursion);
  }

  private announce(s: Storage, e: SensorExcursionEntity, status: 'excursion' | 'quarantine' | 'closed' | 'released' | 'destroyed', by?: string): void {
    this.bus.emit('coldchain.excursion', {
      excursionId: e.id,
      storageId: s.storageId,
      storageKind: s.storageKind,
      ward: s.ward,
      status,
      window: { start: e.start.toISOString(), end: e.end ? e.end.toISOString() : null },
      minC: e.minC,
      maxC: e.maxC,
      ...(by ? { by } : {}),
      at: new Date().toISOString(),
    });
  }
}

function storageView(s: Storage): StorageView {
  return {
    storageId: s.storageId,
    storageKind: s.storageKind,
    ward: s.ward,
    status: s.state.status,
    since: s.state.since,
    lastC: s.state.lastC,
    lastAt: s.state.lastAt,
    excursionId: s.excursion?.id ?? null,
  };
}

function excursionView(e: SensorExcursionEntity): ExcursionView {
  return {
    id: e.id,
    storageId: e.storageId,
    storageKind: e.storageKind,
    ward: e.ward,
    status: e.status,
    window: { start: e.start.toISOString(), end: e.end ? e.end.toISOString() : null },
    minC: e.minC,
    maxC: e.maxC,
    dosesQuarantined: e.dosesQuarantined,
    decidedBy: e.decidedBy,
    decidedAt: e.decidedAt ? e.decidedAt.toISOString() : null,
  };
}

/** The pharmacist's quarantine alarm about this unit (its `type` is QUARANTINE_ALARM). */
function quarantineAlarm(s: Storage, e: SensorExcursionEntity) {
  return {
    subject: s.storageId,
    ward: s.ward,
    sourceKind: s.storageKind,
    sourceId: s.storageId,
    params: { storageId: s.storageId, excursionId: e.id, since: e.start.toISOString(), dosesQuarantined: e.dosesQuarantined },
    details: { targetRoles: ['pharmacist'] },
  } as const;
}
