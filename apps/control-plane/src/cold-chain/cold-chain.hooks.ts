/**
 * The contract between the cold chain (this feature) and the custody feature, which alone
 * knows which doses were where and when.
 *
 * Inject `COLD_CHAIN_QUARANTINE` (exported by SensorsModule; the provider is a
 * ColdChainHooks registry) and call `register(hook)` once at module init. The cold chain then
 * calls `quarantineExposedDoses(exposure)` when a storage unit is quarantined, and again when
 * its exposure window closes (the window has grown: `end` is now set), so the hook must be
 * idempotent: quarantine every dose that was inside `storageId` at any instant of
 * [window.start, window.end ?? now], wherever it is now, and return how many doses it
 * (newly or already) holds in quarantine. `quarantineDecided` follows a pharmacist's
 * release or destruction of the unit's stock. Without a registered hook nothing is
 * quarantined and a warning is logged; the `coldchain.excursion` event carries the same
 * facts for listeners that only need to know.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { QuarantineDisposition } from '#domain';
import { LOGGER } from '../common/logger.js';

export type StorageKind = 'fridge' | 'cabinet_drawer' | 'robot_compartment';

export interface ColdChainExposure {
  excursionId: string;
  /** sensor id (fridge), `{cabinetId}/{drawerId}`, or `{robotId}/{compartmentId}` */
  storageId: string;
  storageKind: StorageKind;
  ward: string | null;
  window: { start: string; end: string | null };
  minC: number;
  maxC: number;
}

export interface ColdChainQuarantineHook {
  quarantineExposedDoses(exposure: ColdChainExposure): Promise<{ quarantined: number }>;
  quarantineDecided?(exposure: ColdChainExposure, decision: { disposition: QuarantineDisposition; by: string; at: string }): Promise<void>;
}

export const COLD_CHAIN_QUARANTINE = Symbol('COLD_CHAIN_QUARANTINE');

@Injectable()
export class ColdChainHooks {
  private hook: ColdChainQuarantineHook | null = null;

  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  register(hook: ColdChainQuarantineHook): void {
    this.hook = hook;
  }

  async quarantine(exposure: ColdChainExposure): Promise<number | null> {
    if (!this.hook) {
      this.logger.warn({ storageId: exposure.storageId }, 'cold-chain quarantine: no custody hook registered, no dose quarantined');
      return null;
    }
    return (await this.hook.quarantineExposedDoses(exposure)).quarantined;
  }

  async decided(exposure: ColdChainExposure, decision: { disposition: QuarantineDisposition; by: string; at: string }): Promise<void> {
    await this.hook?.quarantineDecided?.(exposure, decision);
  }
}
