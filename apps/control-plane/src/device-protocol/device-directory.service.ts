/**
 * Registry facts (ward, name, location) of cabinets and sensors, cached for the message
 * path: telemetry arrives far too often to read the devices table each time. An entry older
 * than a minute is still answered from the cache while it is re-read in the background, many
 * devices per query, so a changed ward assignment is picked up without a restart and a
 * hospital of 10,000 sensors costs a few queries a second, not one per sensor per minute.
 */
import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DevicesRepository } from '#persistence';

export interface DeviceInfo {
  id: string;
  kind: string;
  name: string;
  ward: string | null;
  location: string | null;
}

const TTL_MS = 60_000;
/** Stale entries are gathered this long and re-read together. */
const REFRESH_BATCH_MS = 250;

@Injectable()
export class DeviceDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly cache = new Map<string, { info: DeviceInfo | null; at: number }>();
  private readonly loading = new Map<string, Promise<DeviceInfo | null>>();
  private readonly stale = new Set<string>();
  private refreshTimer: NodeJS.Timeout | null = null;

  constructor(private readonly devices: DevicesRepository) {}

  /** Warm: after a restart every cabinet and sensor reconnects at once, and none should wait on its own query. */
  async onApplicationBootstrap(): Promise<void> {
    await this.list('cabinet');
    await this.list('sensor');
  }

  onModuleDestroy(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }

  /** Cached info, or null when the device is not registered. */
  get(deviceId: string): DeviceInfo | null | Promise<DeviceInfo | null> {
    const hit = this.cache.get(deviceId);
    if (hit) {
      if (Date.now() - hit.at >= TTL_MS) this.refreshLater(deviceId);
      return hit.info;
    }
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

  private refreshLater(deviceId: string): void {
    this.stale.add(deviceId);
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshStale();
    }, REFRESH_BATCH_MS);
    this.refreshTimer.unref();
  }

  private async refreshStale(): Promise<void> {
    const ids = [...this.stale];
    this.stale.clear();
    try {
      const rows = new Map((await this.devices.findByIds(ids)).map((d) => [d.id, d]));
      const now = Date.now();
      for (const id of ids) {
        const d = rows.get(id);
        this.cache.set(id, { info: d ? { id: d.id, kind: d.kind, name: d.name, ward: d.ward, location: d.location } : null, at: now });
      }
    } catch {
      // the database is unavailable: keep serving what is cached; the next message asks again
    }
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
