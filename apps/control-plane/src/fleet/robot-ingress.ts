/**
 * The edge for robot messages: each VDA 5050 payload is validated against the official schema
 * of the version it declares, its header must name the robot that authenticated, and it must
 * be newer than the last one on its topic. Anything else is rejected, counted per robot, and
 * never applied. A message that fails the schema only where a named leniency says the robot
 * is right (libs/contracts vda5050.leniency.ts) is applied, and each leniency used is counted
 * in `medloop_vda_leniency_total{robot,kind}`.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type VdaLeniencyKind, type VdaMessageByTopic, validateVdaLenient } from '#contracts';
import type { IngestMessage, IngestResult } from '#broker';
import { MetricsService } from '../metrics/metrics.service.js';
import { IngressRouter, type PayloadCheck } from '../mqtt/ingress.router.js';
import { type RobotIdentity, RobotStateService } from './robot-state.service.js';

type Header = { headerId: number; timestamp: string; manufacturer?: string; serialNumber?: string };

@Injectable()
export class RobotIngress implements OnModuleInit {
  constructor(
    private readonly router: IngressRouter,
    private readonly robots: RobotStateService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.route('connection', (id, m) => this.robots.applyConnection(id, m));
    this.route('state', (id, m) => this.robots.applyState(id, m));
    this.route('visualization', (id, m) => this.robots.applyVisualization(id, m));
    this.route('factsheet', (id, m) => this.robots.applyFactsheet(id, m));
  }

  private route<K extends 'connection' | 'state' | 'visualization' | 'factsheet'>(
    topic: K,
    apply: (id: RobotIdentity, msg: VdaMessageByTopic[K]) => void,
  ): void {
    // the check knows no robot, so the leniencies it used travel with the value to the handler
    const check: PayloadCheck<{ message: VdaMessageByTopic[K]; leniencies: VdaLeniencyKind[] }> = (payload) => {
      const r = validateVdaLenient(topic, payload);
      return r.ok ? { ok: true, value: { message: r.message, leniencies: r.leniencies } } : { ok: false, errors: r.errors };
    };
    this.router.on(`vda5050.${topic}`, {
      check,
      onRejected: (msg, reason) => this.robots.countRejected(msg.session.deviceId ?? '', identityOf(msg), reason),
      handle: (msg, checked): IngestResult | void => {
        const value = checked.message;
        const id = identityOf(msg);
        if (!id) return { ok: false, reason: 'not_a_robot', errors: [{ path: '', message: 'only robots publish VDA 5050 messages' }] };
        const header = value as unknown as Header;
        if (
          (header.manufacturer !== undefined && header.manufacturer !== id.manufacturer) ||
          (header.serialNumber !== undefined && header.serialNumber !== id.serialNumber)
        ) {
          this.robots.countRejected(id.deviceId, id, 'identity_mismatch');
          return {
            ok: false,
            reason: 'identity_mismatch',
            errors: [
              {
                path: 'serialNumber',
                message: `header names ${header.manufacturer}/${header.serialNumber} but the connection is ${id.manufacturer}/${id.serialNumber}`,
              },
            ],
          };
        }
        // a last will carries the timestamp of the CONNECT it was set at, but the broker
        // publishes it at disconnect: it is the newest news whatever its header says
        if (!msg.will && typeof header.headerId === 'number' && typeof header.timestamp === 'string' && !this.robots.isNewer(id.deviceId, topic, header)) {
          this.robots.countRejected(id.deviceId, id, 'out_of_order');
          return {
            ok: false,
            reason: 'out_of_order',
            errors: [{ path: 'headerId', message: `headerId ${header.headerId} at ${header.timestamp} is not newer than the last ${topic}` }],
          };
        }
        for (const kind of checked.leniencies) this.metrics.vdaLeniency.inc({ robot: `${id.manufacturer}/${id.serialNumber}`, kind });
        apply(id, value);
      },
    });
  }
}

function identityOf(msg: IngestMessage): RobotIdentity | undefined {
  const p = msg.session.principal;
  return p.type === 'robot' ? { deviceId: p.deviceId, interfaceName: p.interfaceName, manufacturer: p.manufacturer, serialNumber: p.serialNumber } : undefined;
}
