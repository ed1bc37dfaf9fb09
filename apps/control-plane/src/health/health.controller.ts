import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../common/auth.decorators.js';
import { MqttService } from '../mqtt/mqtt.service.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  uptimeSeconds: number;
  checks: { database: { status: 'up' | 'down'; type: string; latencyMs?: number; error?: string }; broker: { status: 'up' | 'down'; connections: number } };
}

/** Liveness and readiness in one: 200 when the database answers and the broker listens. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly mqtt: MqttService,
  ) {}

  @Public()
  @Get()
  @ApiOkResponse({ description: 'database and broker are up' })
  @ApiServiceUnavailableResponse({ description: 'a dependency is down' })
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const started = Date.now();
    let database: HealthReport['checks']['database'];
    try {
      await this.db.query('SELECT 1');
      database = { status: 'up', type: String(this.db.options.type), latencyMs: Date.now() - started };
    } catch {
      database = { status: 'down', type: String(this.db.options.type), error: 'database did not answer' };
    }
    const broker = { status: this.mqtt.broker.started ? ('up' as const) : ('down' as const), connections: this.mqtt.broker.connectedClients };
    const ok = database.status === 'up' && broker.status === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', uptimeSeconds: Math.round(process.uptime()), checks: { database, broker } };
  }
}
