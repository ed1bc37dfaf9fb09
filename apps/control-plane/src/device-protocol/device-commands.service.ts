/**
 * Commands from the server to cabinets and sensors (v1 protocol): each is validated against
 * the command schema, persisted as `pending`, published in-process on the device's `command`
 * topic (QoS 1, never retained) and settled by exactly one ack from the device — or marked
 * `timed_out` after COMMAND_ACK_TIMEOUT_MS, which raises an alarm so nobody waits in front
 * of a pocket that will not open. What should happen once a device confirms (append a
 * ledger entry…) travels with the command as `context` and is applied by the handler the
 * owning feature registered for that `context.action`; a late ack is recorded, not applied.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { deviceTopic, parseDeviceMessage, UINT32_MAX, type DeviceAck, type ProtocolDeviceKind } from '#contracts';
import type { IngestResult } from '#broker';
import { NotFoundError, ValidationError } from '#domain';
import { CommandRepository, DevicesRepository, type DeviceCommandEntity, type DeviceCommandStatus } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MqttService } from '../mqtt/mqtt.service.js';
import { DeviceProtocolEdge } from './device-protocol.edge.js';

export interface CommandView {
  commandId: string;
  deviceId: string;
  deviceKind: 'cabinet' | 'sensor';
  type: string;
  status: DeviceCommandStatus;
  detail: string | null;
  requestedBy: string;
  createdAt: string;
  timeoutAt: string;
  resolvedAt: string | null;
  lateAck: DeviceCommandEntity['lateAck'];
  context: Record<string, unknown> | null;
}

/** Runs when a device acknowledged `done` a command whose context carries this action. */
export type CommandDoneHandler = (command: DeviceCommandEntity) => Promise<void>;

export const COMMAND_TIMEOUT_ALARM = 'device.command_timed_out';

export function toCommandView(c: DeviceCommandEntity): CommandView {
  return {
    commandId: c.id,
    deviceId: c.deviceId,
    deviceKind: c.deviceKind,
    type: c.type,
    status: c.status,
    detail: c.detail,
    requestedBy: c.requestedBy,
    createdAt: c.createdAt.toISOString(),
    timeoutAt: c.timeoutAt.toISOString(),
    resolvedAt: c.resolvedAt ? c.resolvedAt.toISOString() : null,
    lateAck: c.lateAck,
    context: c.context,
  };
}

@Injectable()
export class DeviceCommandsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  /** the server's own per-device sequence on command topics */
  private readonly seqs = new Map<string, number>();
  private readonly pending = new Map<string, DeviceCommandEntity>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters = new Map<string, ((c: CommandView) => void)[]>();
  private readonly doneHandlers = new Map<string, CommandDoneHandler>();
  private sub: Subscription | undefined;

  constructor(
    private readonly commands: CommandRepository,
    private readonly devices: DevicesRepository,
    private readonly mqtt: MqttService,
    private readonly edge: DeviceProtocolEdge,
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.edge.route('cabinet', 'ack', (ack, ctx) => this.onAck(ctx.deviceId, ack));
    this.edge.route('sensor', 'ack', (ack, ctx) => this.onAck(ctx.deviceId, ack));
  }

  async onApplicationBootstrap(): Promise<void> {
    // a timed-out command alarms once: acknowledging it is the end of it
    this.sub = this.bus.on('alarm.changed').subscribe(({ change, alarm }) => {
      if (change === 'acknowledged' && alarm.type === COMMAND_TIMEOUT_ALARM && alarm.state === 'acknowledged')
        void this.alarms.clear(alarm.key, 'acknowledged');
    });
    for (const c of await this.commands.findPending()) {
      this.pending.set(c.id, c);
      this.schedule(c);
    }
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Registers what a feature does when a command with `context.action === action` is done. */
  onDone(action: string, handler: CommandDoneHandler): void {
    this.doneHandlers.set(action, handler);
  }

  /** Validates, persists and publishes one command; resolves once it is on its way. */
  async send(
    kind: ProtocolDeviceKind,
    deviceId: string,
    body: { type: string } & Record<string, unknown>,
    opts: { requestedBy: string; context?: Record<string, unknown> },
  ): Promise<DeviceCommandEntity> {
    const id = randomUUID();
    const now = new Date();
    const seq = this.nextSeq(deviceId);
    const message = { v: 1, deviceId, seq, ts: now.toISOString(), commandId: id, ...body };
    const parsed = parseDeviceMessage(kind, 'command', message);
    // a bug, not a user error: the server must never publish a command devices would refuse
    if (!parsed.ok) throw new ValidationError(`command ${body.type}: ${parsed.errors[0]?.path} ${parsed.errors[0]?.message}`, parsed.errors[0]?.path);
    const entity: DeviceCommandEntity = {
      id,
      deviceId,
      deviceKind: kind,
      type: body.type,
      payload: parsed.message as Record<string, any>,
      context: opts.context ?? null,
      status: 'pending',
      detail: null,
      requestedBy: opts.requestedBy,
      createdAt: now,
      timeoutAt: new Date(now.getTime() + this.config.devices.commandAckTimeoutMs),
      resolvedAt: null,
      lateAck: null,
    };
    await this.commands.insert(entity);
    this.pending.set(id, entity);
    this.schedule(entity);
    await this.mqtt.broker.publish(deviceTopic(kind, deviceId, 'command'), JSON.stringify(parsed.message), { qos: 1, retain: false });
    return entity;
  }

  /** Resolves when the command is settled (done, refused, failed or timed out). */
  settled(commandId: string): Promise<CommandView> {
    const c = this.pending.get(commandId);
    if (!c) return this.get(commandId);
    return new Promise((resolve) => {
      const list = this.waiters.get(commandId) ?? [];
      list.push(resolve);
      this.waiters.set(commandId, list);
    });
  }

  async get(commandId: string): Promise<CommandView> {
    const c = this.pending.get(commandId) ?? (await this.commands.findById(commandId));
    if (!c) throw new NotFoundError('Command', commandId);
    return toCommandView(c);
  }

  async listForDevice(deviceId: string, limit?: number): Promise<CommandView[]> {
    return (await this.commands.listForDevice(deviceId, limit)).map(toCommandView);
  }

  private async onAck(deviceId: string, ack: DeviceAck): Promise<IngestResult | void> {
    const c = this.pending.get(ack.commandId) ?? (await this.commands.findById(ack.commandId));
    if (!c || c.deviceId !== deviceId) {
      return { ok: false, reason: 'unknown_command', errors: [{ path: 'commandId', message: `no command ${ack.commandId} was sent to ${deviceId}` }] };
    }
    const at = new Date();
    if (c.status !== 'pending') {
      // a repeated ack (the device answers a redelivered command the same way) or a late one
      if (c.status === 'timed_out' && !c.lateAck) {
        c.lateAck = { result: ack.result, detail: ack.detail ?? null, at: at.toISOString() };
        await this.commands.update(c.id, { lateAck: c.lateAck });
        this.logger.warn({ commandId: c.id, deviceId, result: ack.result }, 'ack arrived after the command timed out; not applied');
      }
      return;
    }
    // the command stays in `pending` until it is settled: a caller asking in between (while the
    // update below is written) must wait for the outcome, not read the stale row from the database
    clearTimeout(this.timers.get(c.id));
    this.timers.delete(c.id);
    c.status = ack.result;
    c.detail = ack.detail ?? null;
    c.resolvedAt = at;
    await this.commands.update(c.id, { status: c.status, detail: c.detail, resolvedAt: at });
    const action = typeof c.context?.['action'] === 'string' ? (c.context['action'] as string) : undefined;
    if (c.status === 'done' && action) {
      const handler = this.doneHandlers.get(action);
      try {
        await handler?.(c);
      } catch (err) {
        // the device did what it was told; the server could not record it: say so loudly
        this.logger.error({ err, commandId: c.id, action }, 'could not apply a confirmed command');
        c.detail = `confirmed by the device, but not applied: ${(err as Error).message}`.slice(0, 500);
        await this.commands.update(c.id, { detail: c.detail });
      }
    }
    this.pending.delete(c.id);
    this.settle(c);
  }

  private schedule(c: DeviceCommandEntity): void {
    const delay = Math.max(0, c.timeoutAt.getTime() - Date.now());
    const t = setTimeout(() => void this.timeOut(c.id).catch((err: unknown) => this.logger.error({ err }, 'command time-out failed')), delay);
    t.unref();
    this.timers.set(c.id, t);
  }

  private async timeOut(id: string): Promise<void> {
    const c = this.pending.get(id);
    this.timers.delete(id);
    // an ack being written settles the command; the timer must not overrule it
    if (!c || c.status !== 'pending') return;
    this.pending.delete(id);
    c.status = 'timed_out';
    c.resolvedAt = new Date();
    c.detail = `no ack within ${this.config.devices.commandAckTimeoutMs} ms`;
    await this.commands.update(id, { status: c.status, resolvedAt: c.resolvedAt, detail: c.detail });
    const device = await this.devices.findById(c.deviceId);
    await this.alarms.raise({
      type: COMMAND_TIMEOUT_ALARM,
      subject: c.id,
      ward: device?.ward ?? null,
      sourceKind: c.deviceKind,
      sourceId: c.deviceId,
      params: {
        deviceKind: c.deviceKind,
        deviceId: c.deviceId,
        commandId: c.id,
        type: c.type,
        timeoutS: this.config.devices.commandAckTimeoutMs / 1000,
        requestedBy: c.requestedBy,
      },
    });
    this.settle(c);
  }

  private settle(c: DeviceCommandEntity): void {
    const view = toCommandView(c);
    for (const resolve of this.waiters.get(c.id) ?? []) resolve(view);
    this.waiters.delete(c.id);
  }

  private nextSeq(deviceId: string): number {
    const seq = this.seqs.get(deviceId) ?? 0;
    this.seqs.set(deviceId, seq === UINT32_MAX ? 0 : seq + 1);
    return seq;
  }
}
