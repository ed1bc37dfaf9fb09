/**
 * The storages custody puts doses in, as the device registry knows them: a fridge is a
 * registered sensor that logs a fridge; its ward says where it stands (none: the
 * pharmacy). Picks name the fridge a unit came from; receipts name the ward fridge a
 * refrigerated dose goes into. A storage in cold-chain quarantine takes and gives nothing.
 */
import { Injectable } from '@nestjs/common';
import { RuleViolationError, ValidationError, locationKey, parseLocation } from '#domain';
import { type DeviceEntity, DevicesRepository } from '#persistence';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import { classifySensor } from '../sensors/sensor-type.js';

export interface Fridge {
  id: string;
  name: string;
  ward: string | null;
  /** the custody location key of the fridge */
  location: string;
}

@Injectable()
export class StorageDirectory {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly coldChain: ColdChainService,
  ) {}

  /** Fridges standing on `ward`, or in the pharmacy for `null`. */
  async fridges(ward: string | null): Promise<Fridge[]> {
    const sensors = await this.devices.list({ kind: 'sensor', ...(ward ? { ward } : {}) });
    return sensors.filter((d) => !d.revokedAt && isFridge(d) && (d.ward ?? null) === ward).map(fridgeOf);
  }

  /**
   * The fridge a unit is taken from or put into: the one named, which must be a fridge of
   * `ward` (null: the pharmacy) and not in quarantine; when none is named, the only fridge
   * there, if there is exactly one. `field` names the request field in errors.
   */
  async fridgeFor(ward: string | null, storageId: string | undefined, field: string): Promise<Fridge> {
    const where = ward ? `ward ${ward}` : 'the pharmacy';
    let fridge: Fridge;
    if (storageId) {
      const d = await this.devices.findById(storageId);
      if (!d || d.kind !== 'sensor' || d.revokedAt || !isFridge(d)) throw new ValidationError(`${field}: '${storageId}' is not a registered fridge`, field);
      if ((d.ward ?? null) !== ward) throw new ValidationError(`${field}: fridge '${d.name}' is not in ${where}`, field);
      fridge = fridgeOf(d);
    } else {
      const all = await this.fridges(ward);
      if (all.length !== 1)
        throw new ValidationError(
          all.length === 0
            ? `${field}: a refrigerated drug needs a fridge, and no fridge is registered in ${where}`
            : `${field}: name the fridge in ${where} (${all.map((f) => `${f.name} ${f.id}`).join(', ')})`,
          field,
        );
      fridge = all[0]!;
    }
    this.assertInService(fridge, field);
    return fridge;
  }

  /** Refuses a storage whose stock is in cold-chain quarantine. */
  assertInService(fridge: Fridge, field: string): void {
    if (this.coldChain.isQuarantined(fridge.id))
      throw new RuleViolationError(
        `fridge '${fridge.name}' is in cold-chain quarantine: nothing is taken from it or put into it until a pharmacist decides`,
        'storage_quarantined',
        {
          field,
          storageId: fridge.id,
        },
      );
  }

  /**
   * Refuses to release a dose back into use inside a storage (fridge, drawer, compartment)
   * that is itself still in cold-chain quarantine: its stock waits for the storage's decision.
   */
  assertNotInQuarantinedStorage(location: string | null, field: string): void {
    const place = parseLocation(location);
    if (!place?.id || !['storage', 'cabinet', 'robot'].includes(place.kind)) return;
    if (this.coldChain.isQuarantined(place.id))
      throw new RuleViolationError(`${place.key} is still in cold-chain quarantine: decide on the storage first`, 'storage_quarantined', {
        field,
        storageId: place.id,
      });
  }

  coldChainStatus(storageId: string): string {
    return this.coldChain.status(storageId) ?? 'normal';
  }
}

/** A logger the cold chain is fed from (sensor-state.service: fridges, not freezers, whose range differs). */
function isFridge(d: Pick<DeviceEntity, 'name' | 'location'>): boolean {
  return classifySensor({ name: d.name, location: d.location ?? null }) === 'fridge';
}

const fridgeOf = (d: DeviceEntity): Fridge => ({ id: d.id, name: d.name, ward: d.ward ?? null, location: locationKey.fridge(d.id) });
