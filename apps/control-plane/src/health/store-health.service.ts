/**
 * Watches whether the database commits. A failed write marks the store failing (see
 * libs/persistence transactions); from then on this service counts it in /metrics and, every
 * STORE_PROBE_MS, makes one small real write until one commits — so `/health` turns 200
 * again when disk space or the connection is back even if no client writes meanwhile.
 */
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { onStoreEvent, probeWrite, storeHealth } from '#persistence';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsService } from '../metrics/metrics.service.js';

@Injectable()
export class StoreHealthService implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: (() => void) | null = null;
  private probe: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(
    private readonly db: DataSource,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.metrics.storageWritable.set(storeHealth(this.db).writable ? 1 : 0);
    this.unsubscribe = onStoreEvent(this.db, (e) => {
      if (e.type === 'write_failed') {
        this.metrics.storageFailures.inc({ operation: 'write', code: e.code });
        this.metrics.storageWritable.set(0);
        if (!this.probe) {
          this.logger.error({ code: e.code }, 'database writes are failing: answering 503 storage_unavailable until a write commits');
          this.probe = setInterval(() => void this.tryProbe(), this.config.storeProbeMs);
          this.probe.unref();
        }
      } else if (e.type === 'recovered') {
        this.metrics.storageWritable.set(1);
        this.stopProbe();
        this.logger.warn({ downForMs: e.downForMs }, 'database writes commit again');
      }
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.stopProbe();
  }

  private stopProbe(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
  }

  private async tryProbe(): Promise<void> {
    if (this.probing || !this.db.isInitialized) return;
    this.probing = true;
    try {
      await probeWrite(this.db);
    } finally {
      this.probing = false;
    }
  }
}
