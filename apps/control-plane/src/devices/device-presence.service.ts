/**
 * Which devices are online and when each was last heard from. Connect/disconnect events
 * (and the last will, which the broker publishes on an unclean disconnect) arrive from the
 * MQTT layer through the event bus; last-seen times are kept in memory on the message path
 * and flushed to the database in one batch every few seconds, never per message.
 */
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { DevicesRepository } from '#persistence';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

export interface Presence {
  online: boolean;
  /** number of live MQTT sessions of the device (normally 0 or 1) */
  sessions: number;
  since: Date;
  lastSeenAt: Date | null;
  /** how the last session ended: a DISCONNECT packet, or a dropped connection */
  lastDisconnect: 'graceful' | 'connection_lost' | null;
}

@Injectable()
export class DevicePresenceService implements OnModuleInit, OnApplicationShutdown {
  private readonly presence = new Map<string, Presence>();
  private dirty = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private subs: Subscription[] = [];

  constructor(
    private readonly devices: DevicesRepository,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.subs.push(
      this.bus.on('device.online').subscribe((e) => {
        const p = this.entry(e.deviceId);
        p.sessions++;
        if (!p.online) p.since = new Date(e.at);
        p.online = true;
        this.seen(e.deviceId);
      }),
      this.bus.on('device.offline').subscribe((e) => {
        const p = this.entry(e.deviceId);
        p.sessions = Math.max(0, p.sessions - 1);
        if (p.sessions === 0) {
          p.online = false;
          p.since = new Date(e.at);
        }
        p.lastDisconnect = e.graceful ? 'graceful' : 'connection_lost';
        this.seen(e.deviceId);
      }),
    );
    this.timer = setInterval(() => void this.flush(), this.config.devicePresenceFlushMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
    await this.flush();
  }

  /** Called on every message from a device: two map writes, no I/O. */
  seen(deviceId: string, at = new Date()): void {
    this.entry(deviceId).lastSeenAt = at;
    this.dirty.set(deviceId, at);
  }

  get(deviceId: string): Presence | undefined {
    return this.presence.get(deviceId);
  }

  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = this.dirty;
    this.dirty = new Map();
    try {
      await this.devices.touchLastSeen(batch);
    } catch (err) {
      this.logger.warn({ err }, 'could not persist device last-seen times; will retry');
      for (const [id, at] of batch) if (!this.dirty.has(id)) this.dirty.set(id, at);
    }
  }

  private entry(deviceId: string): Presence {
    let p = this.presence.get(deviceId);
    if (!p) this.presence.set(deviceId, (p = { online: false, sessions: 0, since: new Date(), lastSeenAt: null, lastDisconnect: null }));
    return p;
  }
}
