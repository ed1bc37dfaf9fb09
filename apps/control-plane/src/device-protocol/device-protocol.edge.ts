/**
 * The edge of the v1 cabinet/sensor protocol (libs/contracts/src/devices): a message on
 * `medloop/v1/{cabinet|sensor}/{id}/{telemetry|event|ack|status}` over the protocol's size
 * limit is refused before it is parsed (by the router, which parses each payload once); the
 * rest is checked with `parseDeviceMessage` (the payload must name the device of its topic),
 * then run through the device's SequenceTracker. Malformed messages are refused (the broker turns the refusal into
 * a rejection event for the device and counts it) and never reach a feature; duplicates
 * (QoS 1 redeliveries) are dropped silently; late messages are passed on flagged as not
 * current, so no feature lets them overwrite newer state. Every message carries the time the
 * server judged it stands for (`judgedAt`, DeviceClockService): the device's clock informs
 * it, the server's clock bounds it, so durations that lock stock are the server's.
 */
import { Injectable } from '@nestjs/common';
import {
  isCurrent,
  MAX_DEVICE_PAYLOAD_BYTES,
  parseDeviceMessage,
  parseDeviceTopic,
  SequenceTracker,
  type DeviceChannel,
  type DeviceMessage,
  type ProtocolDeviceKind,
  type SequenceVerdict,
} from '#contracts';
import type { IngestMessage, IngestResult } from '#broker';
import { DomainError } from '#domain';
import { EventBus } from '../common/events.js';
import { IngressRouter } from '../mqtt/ingress.router.js';
import { DeviceClockService } from './device-clock.service.js';

export interface DeviceMessageContext {
  deviceId: string;
  kind: ProtocolDeviceKind;
  /** null for `status`, which is not sequence-tracked (its last will carries the CONNECT's seq) */
  verdict: SequenceVerdict | null;
  /** the newest message of the device: may update "current value" views */
  current: boolean;
  receivedAt: string;
  /**
   * the time the message stands for (ISO): its `ts` clamped into (last heard from the device,
   * receivedAt], or its `ts` unchanged when it backfills a silence; `receivedAt` for `status`
   * (a last will carries the time of the CONNECT). Durations are measured on this, never on `ts`.
   */
  judgedAt: string;
  /** the message was stamped inside a silence of the device the server clock confirms (see judgedAt) */
  backfill: boolean;
}

export type DeviceMessageHandler<K extends ProtocolDeviceKind, C extends DeviceChannel> = (
  message: DeviceMessage<K, C>,
  ctx: DeviceMessageContext,
) => void | IngestResult | Promise<void | IngestResult>;

/** What the edge saw of one device since the server started. */
export interface DeviceLinkStats {
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  /** messages the sequence numbers say were lost */
  missing: number;
  restarts: number;
  rejected: Record<string, number>;
  lastSeq: number | null;
  lastMessageAt: string | null;
}

type Channel = Exclude<DeviceChannel, 'command'>;

@Injectable()
export class DeviceProtocolEdge {
  private readonly tracker = new SequenceTracker();
  private readonly stats = new Map<string, DeviceLinkStats>();

  constructor(
    private readonly router: IngressRouter,
    private readonly bus: EventBus,
    private readonly clock: DeviceClockService,
  ) {}

  /** Registers the handler of one kind and channel (call at module init). */
  route<K extends ProtocolDeviceKind, C extends Channel>(kind: K, channel: C, handler: DeviceMessageHandler<K, C>): void {
    this.router.on(`medloop.${kind}.${channel}`, {
      maxBytes: MAX_DEVICE_PAYLOAD_BYTES,
      onRejected: (msg, reason) => this.count(deviceIdOf(msg), msg.family, reason),
      handle: (msg, value) => this.accept(kind, channel, msg, value, handler),
    });
  }

  statsOf(deviceId: string): DeviceLinkStats {
    return this.stats.get(deviceId) ?? emptyStats();
  }

  /** Forget a device's sequence history (e.g. after its registration changed). */
  forget(deviceId: string): void {
    this.tracker.forget(deviceId);
    this.clock.forget(deviceId);
  }

  private accept<K extends ProtocolDeviceKind, C extends Channel>(
    kind: K,
    channel: C,
    msg: IngestMessage,
    value: unknown,
    handler: DeviceMessageHandler<K, C>,
  ): IngestResult | void | Promise<IngestResult | void> {
    const deviceId = deviceIdOf(msg);
    const parsed = parseDeviceMessage(kind, channel, value, { deviceId });
    if (!parsed.ok) return this.reject(deviceId, msg.family, parsed.reason, parsed.errors);
    const stats = this.entry(deviceId);
    let verdict: SequenceVerdict | null = null;
    if (channel !== 'status') {
      verdict = this.tracker.observe(parsed.message);
      stats.lastSeq = parsed.message.seq;
      if (verdict.kind === 'duplicate') {
        stats.duplicates++;
        return;
      }
      if (verdict.kind === 'out_of_order') stats.outOfOrder++;
      if (verdict.kind === 'gap') stats.missing += verdict.missing;
      if (verdict.kind === 'restart') stats.restarts++;
    }
    stats.accepted++;
    const now = Date.now();
    const receivedAt = new Date(now).toISOString();
    stats.lastMessageAt = receivedAt;
    // status is not judged: a last will is the broker speaking for a device that went away
    const judged = channel === 'status' ? null : this.clock.judge(kind, deviceId, Date.parse(parsed.message.ts), now);
    const ctx: DeviceMessageContext = {
      deviceId,
      kind,
      verdict,
      current: verdict === null || isCurrent(verdict),
      receivedAt,
      judgedAt: judged ? new Date(judged.judgedAt).toISOString() : receivedAt,
      backfill: judged?.backfill ?? false,
    };
    try {
      const out = handler(parsed.message as DeviceMessage<K, C>, ctx);
      if (out instanceof Promise)
        return out.then(
          (r) => {
            if (r && !r.ok) this.count(deviceId, msg.family, r.reason);
            return r;
          },
          (err: unknown) => this.fromError(deviceId, msg.family, err),
        );
      if (out && !out.ok) this.count(deviceId, msg.family, out.reason);
      return out;
    } catch (err) {
      return this.fromError(deviceId, msg.family, err);
    }
  }

  private fromError(deviceId: string, family: string, err: unknown): IngestResult {
    if (!(err instanceof DomainError)) throw err;
    return this.reject(deviceId, family, err.code, [{ path: String(err.details?.['field'] ?? ''), message: err.message }]);
  }

  private reject(deviceId: string, family: string, reason: string, errors: { path: string; message: string }[]): IngestResult {
    this.count(deviceId, family, reason);
    return { ok: false, reason, errors };
  }

  private count(deviceId: string, family: string, reason: string): void {
    const s = this.entry(deviceId);
    s.rejected[reason] = (s.rejected[reason] ?? 0) + 1;
  }

  private entry(deviceId: string): DeviceLinkStats {
    let s = this.stats.get(deviceId);
    if (!s) this.stats.set(deviceId, (s = emptyStats()));
    return s;
  }
}

function deviceIdOf(msg: IngestMessage): string {
  return parseDeviceTopic(msg.topic)?.deviceId ?? msg.session.deviceId ?? 'unknown';
}

function emptyStats(): DeviceLinkStats {
  return { accepted: 0, duplicates: 0, outOfOrder: 0, missing: 0, restarts: 0, rejected: {}, lastSeq: null, lastMessageAt: null };
}
