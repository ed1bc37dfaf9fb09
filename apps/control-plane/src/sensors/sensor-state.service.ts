/**
 * Live state of every ward sensor: the latest value per channel and metric (in memory, only
 * from in-order messages), presence from the `status` channel, recent events, and the alarms
 * events imply (probe faults, tamper, low battery). Telemetry is also handed to the time
 * series store, the alarm-rule engine and, for fridges, the cold chain.
 */
import { Injectable } from '@nestjs/common';
import type { DeviceStatus, SensorEvent, SensorTelemetry } from '#contracts';
import { assertInWardScope, filterInWardScope, NotFoundError } from '#domain';
import { AlarmsService } from '../alarms/alarms.service.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { EventBus } from '../common/events.js';
import { AlarmRuleEvaluator } from '../alarm-engine/alarm-rule-evaluator.service.js';
import type { SensorType } from '../alarm-engine/alarm-rule.dto.js';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import { DeviceDirectory, type DeviceInfo } from '../device-protocol/device-directory.service.js';
import { DeviceProtocolEdge, type DeviceLinkStats, type DeviceMessageContext } from '../device-protocol/device-protocol.edge.js';
import { classifySensor, flattenReadings, productTemperature } from './sensor-type.js';
import { TelemetryStore } from './telemetry-store.service.js';

export interface SensorValue {
  value: number | boolean;
  at: string;
}

interface LiveSensor {
  presence: 'online' | 'offline' | null;
  presenceAt: string | null;
  firmware: string | null;
  lastTelemetryAt: string | null;
  batteryPct: number | null;
  rssiDbm: number | null;
  /** `{channel}.{metric}` → latest value */
  values: Record<string, SensorValue>;
  recentEvents: { type: string; at: string; channel?: string }[];
}

export interface SensorView {
  id: string;
  name: string;
  ward: string | null;
  location: string | null;
  type: SensorType;
  presence: 'online' | 'offline' | null;
  presenceAt: string | null;
  firmware: string | null;
  lastTelemetryAt: string | null;
  batteryPct: number | null;
  rssiDbm: number | null;
  values: Record<string, SensorValue>;
  coldChain: string | null;
  recentEvents: LiveSensor['recentEvents'];
  link: DeviceLinkStats;
}

@Injectable()
export class SensorStateService {
  private readonly live = new Map<string, LiveSensor>();

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly edge: DeviceProtocolEdge,
    private readonly store: TelemetryStore,
    private readonly rules: AlarmRuleEvaluator,
    private readonly coldChain: ColdChainService,
    private readonly alarms: AlarmsService,
    private readonly bus: EventBus,
  ) {}

  async applyTelemetry(device: DeviceInfo, msg: SensorTelemetry, ctx: DeviceMessageContext): Promise<void> {
    const values = flattenReadings(msg.readings, { batteryPct: msg.batteryPct });
    // late messages are history: stored, never the current value
    this.store.append(device.id, msg.ts, values);
    const type = classifySensor(device);
    const product = type === 'fridge' ? productTemperature(msg.readings) : null;
    // The cold chain runs on judged time (the server's clock bounds the device's). A late
    // message backfilling a silence the server confirms is a measurement the fridge's history
    // lacks: it still reaches the cold chain, whose evaluator drops it unless it is newer than
    // the last reading evaluated (so readings are taken in time order, never rewound). Any
    // other late message is left out: its judged time is clamped to now and would pass for new.
    if (!ctx.current) {
      if (product && ctx.backfill) await this.recordColdChain(device, product.temperatureC, ctx);
      return;
    }
    const s = this.entry(device.id);
    s.lastTelemetryAt = msg.ts;
    if (msg.batteryPct !== undefined) s.batteryPct = msg.batteryPct;
    if (msg.rssiDbm !== undefined) s.rssiDbm = msg.rssiDbm;
    for (const v of values) s.values[`${v.channel}.${v.metric}`] = { value: v.value, at: msg.ts };
    this.rules.observe({ deviceId: device.id, kind: 'sensor', sensorType: type, ward: device.ward }, msg.ts, values);
    if (product) await this.recordColdChain(device, product.temperatureC, ctx);
    const latest: Record<string, number | boolean> = {};
    for (const v of values) latest[`${v.channel}.${v.metric}`] = v.value;
    this.bus.emit('sensor.reading', { deviceId: device.id, name: device.name, ward: device.ward, at: msg.ts, values: latest });
  }

  private recordColdChain(device: DeviceInfo, temperatureC: number, ctx: DeviceMessageContext): Promise<void> {
    return this.coldChain.record({ storageId: device.id, storageKind: 'fridge', ward: device.ward, temperatureC, at: ctx.judgedAt });
  }

  async applyEvent(device: DeviceInfo, e: SensorEvent): Promise<void> {
    const s = this.entry(device.id);
    s.recentEvents = [{ type: e.type, at: e.ts, ...('channel' in e ? { channel: e.channel } : {}) }, ...s.recentEvents].slice(0, 20);
    const base = { ward: device.ward, sourceKind: 'sensor', sourceId: device.id };
    switch (e.type) {
      case 'probeFault':
        await this.alarms.raise({
          ...base,
          type: 'sensor.probe_fault',
          subject: `${device.id}/${e.channel}`,
          params: { sensor: device.name, channel: e.channel, fault: e.fault, detail: e.detail, at: e.ts },
        });
        break;
      case 'probeRestored':
        await this.alarms.clear(`sensor.probe_fault:${device.id}/${e.channel}`, 'probe restored');
        break;
      case 'tamper':
        await this.alarms.raise({ ...base, type: 'sensor.tamper', subject: device.id, params: { sensor: device.name, detail: e.detail } });
        break;
      case 'batteryLow':
        await this.alarms.raise({ ...base, type: 'sensor.battery_low', subject: device.id, params: { sensor: device.name, batteryPct: e.batteryPct } });
        break;
      default:
        break;
    }
  }

  applyStatus(deviceId: string, msg: DeviceStatus, ctx: DeviceMessageContext): void {
    const s = this.entry(deviceId);
    s.presence = msg.state;
    // a last will carries the seq/ts of the CONNECT: the receipt time is when it went away
    s.presenceAt = ctx.receivedAt;
    if (msg.firmware) s.firmware = msg.firmware;
  }

  async list(user: AuthUser, ward?: string): Promise<SensorView[]> {
    if (ward) this.assertWard(user, ward);
    const devices = await this.directory.list('sensor', ward);
    return filterInWardScope(user, devices, (d) => d.ward).map((d) => this.view(d));
  }

  async get(id: string, user: AuthUser): Promise<SensorView> {
    const d = await this.directory.get(id);
    if (!d || d.kind !== 'sensor') throw new NotFoundError('Sensor', id);
    assertInWardScope(user, d.ward);
    return this.view(d);
  }

  assertWard(user: AuthUser, ward: string): void {
    assertInWardScope(user, ward);
  }

  private view(d: DeviceInfo): SensorView {
    const s = this.live.get(d.id);
    return {
      id: d.id,
      name: d.name,
      ward: d.ward,
      location: d.location,
      type: classifySensor(d),
      presence: s?.presence ?? null,
      presenceAt: s?.presenceAt ?? null,
      firmware: s?.firmware ?? null,
      lastTelemetryAt: s?.lastTelemetryAt ?? null,
      batteryPct: s?.batteryPct ?? null,
      rssiDbm: s?.rssiDbm ?? null,
      values: s?.values ?? {},
      coldChain: this.coldChain.status(d.id),
      recentEvents: s?.recentEvents ?? [],
      link: this.edge.statsOf(d.id),
    };
  }

  private entry(deviceId: string): LiveSensor {
    let s = this.live.get(deviceId);
    if (!s)
      this.live.set(
        deviceId,
        (s = { presence: null, presenceAt: null, firmware: null, lastTelemetryAt: null, batteryPct: null, rssiDbm: null, values: {}, recentEvents: [] }),
      );
    return s;
  }
}
