/**
 * Registry facts (ward, name, location) of cabinets and sensors, cached for the message
 * path: telemetry arrives far too often to read the devices table each time. Entries expire
 * after a minute so a changed ward assignment is picked up without a restart.
 */
import { Injectable } from '@nestjs/common';
import { DevicesRepository } from '#persistence';

export interface DeviceInfo {
  id: string;
  kind: string;
  name: string;
  ward: string | null;
  location: string | null;
}

const TTL_MS = 60_000;

@Injectable()
export class DeviceDirectory {
  private readonly cache = new Map<string, { info: DeviceInfo | null; at: number }>();
  private readonly loading = new Map<string, Promise<DeviceInfo | null>>();

  constructor(private readonly devices: DevicesRepository) {}

  /** Cached info, or null when the device is not registered. */
  get(deviceId: string): DeviceInfo | null | Promise<DeviceInfo | null> {
    const hit = this.cache.get(deviceId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.info;
    let p = this.loading.get(deviceId);
    if (!p) {
      p = this.devices.findById(deviceId).then((d) => {
        const info = d ? { id: d.id, kind: d.kind, name: d.name, ward: d.ward, location: d.location } : null;
        this.cache.set(deviceId, { info, at: Date.now() });
        this.loading.delete(deviceId);
        return info;
      });
      p.catch(() => this.loading.delete(deviceId));
      this.loading.set(deviceId, p);
    }
    return p;
  }

  /** Synchronous look-up of what is cached (views, not the message path). */
  peek(deviceId: string): DeviceInfo | null {
    return this.cache.get(deviceId)?.info ?? null;
  }

  async list(kind: 'cabinet' | 'sensor', ward?: string): Promise<DeviceInfo[]> {
    const rows = await this.devices.list({ kind, ...(ward ? { ward } : {}) });
    const now = Date.now();
    return rows
      .filter((d) => !d.revokedAt)
      .map((d) => {
        const info = { id: d.id, kind: d.kind, name: d.name, ward: d.ward, location: d.location };
        this.cache.set(d.id, { info, at: now });
        return info;
      });
  }

  async require(deviceId: string): Promise<DeviceInfo | null> {
    return this.get(deviceId);
  }
}
