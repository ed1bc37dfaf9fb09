import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { storeHealth, type StoreFailure, type WriteQueueState, writeQueueState } from '#persistence';
import { Public } from '../common/auth.decorators.js';
import { type AnchorHealth, AuditAnchorService } from '../audit-anchor/audit-anchor.service.js';
import { type WitnessStatus, WitnessPushService } from '../audit-anchor/witness-push.service.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DispatchRound } from '../fleet/dispatch-round.js';
import { MqttService } from '../mqtt/mqtt.service.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  uptimeSeconds: number;
  checks: {
    /** 'stalled': it answers reads, but a write has been running past the limit and holds every later one */
    /**
     * 'failing': it answers reads, but writes do not commit (disk full, I/O error, connection
     * lost mid-commit): every write answers 503 until one commits again
     */
    database: {
      status: 'up' | 'down' | 'stalled' | 'failing';
      type: string;
      latencyMs?: number;
      error?: string;
      writeQueue?: WriteQueueState;
      writeFailure?: StoreFailure;
    };
    broker: { status: 'up' | 'down'; connections: number };
    /** 'stalled': no dispatch round has ended within the limit (missions are not assigned, resent or timed out) */
    dispatcher: { status: 'up' | 'stalled'; lastRoundAgoMs: number; roundRunningForMs: number };
    /**
     * the custody log's signed checkpoints (audit-anchor/): 'failed' = the database disagrees
     * with the last checkpoint (a rewritten history, a security incident: nothing is signed;
     * 503); 'failing' = checkpoints cannot be written to CHECKPOINT_FILE (reported, not 503).
     * `witnesses`: each outside witness's state (WITNESS_URLS); a witness down or behind does
     * not make the check fail
     */
    anchor: AnchorHealth & { witnesses: WitnessStatus[] };
  };
}

/**
 * Liveness and readiness in one: 200 when the database answers and commits writes, the broker
 * listens, the dispatch loop turns and the custody log agrees with its signed checkpoints (and
 * they are written); 503 naming what is not.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly mqtt: MqttService,
    private readonly dispatchRound: DispatchRound,
    private readonly anchor: AuditAnchorService,
    private readonly witnesses: WitnessPushService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @ApiOperation({ summary: 'Liveness and readiness of the node and its dependencies' })
  @Get()
  @ApiOkResponse({ description: 'database, broker and dispatch loop are up' })
  @ApiServiceUnavailableResponse({ description: 'a dependency is down or stalled' })
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const limit = this.config.healthStallAfterMs;
    const started = Date.now();
    const type = String(this.db.options.type);
    let database: HealthReport['checks']['database'];
    try {
      await this.db.query('SELECT 1');
      database = { status: 'up', type, latencyMs: Date.now() - started };
    } catch {
      database = { status: 'down', type, error: 'database did not answer' };
    }
    const store = storeHealth(this.db);
    if (database.status === 'up' && !store.writable) {
      const f = store.failure;
      database = {
        ...database,
        status: 'failing',
        error: store.broken ?? `writes fail since ${f!.since} (${f!.code}: ${f!.message}); ${f!.failedWrites} write(s) refused`,
        ...(f ? { writeFailure: f } : {}),
      };
    }
    const writeQueue = writeQueueState(this.db);
    if (writeQueue) {
      database.writeQueue = writeQueue;
      if (database.status === 'up' && writeQueue.runningForMs > limit) {
        database = {
          ...database,
          status: 'stalled',
          error: `a write has been running for ${writeQueue.runningForMs} ms; ${writeQueue.pending - 1} wait behind it`,
        };
      }
    }
    const broker = { status: this.mqtt.broker.started ? ('up' as const) : ('down' as const), connections: this.mqtt.broker.connectedClients };
    const loop = this.dispatchRound.loopState();
    const dispatcher = { status: loop.lastRoundAgoMs > limit ? ('stalled' as const) : ('up' as const), ...loop };
    const anchor = { ...this.anchor.health(), witnesses: this.witnesses.status() };
    // a rewritten history fails the node; a checkpoint file that cannot be written (its volume
    // full or gone) does not: custody is still recorded in the database, the alarm
    // audit.checkpoint_write_failed calls for the fix, and the next write covers every event
    const ok = database.status === 'up' && broker.status === 'up' && dispatcher.status === 'up' && anchor.status !== 'failed';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', uptimeSeconds: Math.round(process.uptime()), checks: { database, broker, dispatcher, anchor } };
  }
}
