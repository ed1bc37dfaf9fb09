/**
 * Read model of the fleet for people: every registered robot joined with its live VDA 5050
 * state and its current mission.
 */
import { Injectable } from '@nestjs/common';
import { readCompartments, type State } from '#contracts';
import { capabilityOf, NotFoundError } from '#domain';
import { type DeviceEntity, DevicesRepository } from '#persistence';
import { ActiveMissions } from './active-missions.js';
import { RobotStateService } from './robot-state.service.js';

export interface RobotView {
  id: string;
  name: string;
  manufacturer: string;
  serialNumber: string;
  connection: string | null;
  stale: boolean;
  version: string | null;
  position: { x: number; y: number; theta: number; mapId: string } | null;
  battery: { chargePct: number; charging: boolean } | null;
  driving: boolean;
  /** the node the robot last reported reaching (VDA 5050 `lastNodeId`); null when it reports none */
  lastNodeId: string | null;
  paused: boolean;
  operatingMode: string | null;
  errors: State['errors'];
  safety: State['safetyState'] | null;
  loads: State['loads'];
  compartments: ReturnType<typeof readCompartments>;
  /** the action types its factsheet declares; null until it published one */
  factsheetActions: string[] | null;
  /**
   * What its VDA 5050 factsheet (2.0 or 2.1, kept across restarts) declares, as dispatch reads
   * it: action types and compartments (`loadSpecification.loadPositions`). Null when it
   * published none: such a robot takes plain transport missions only.
   */
  factsheet: { version: string; receivedAt: string | null; actions: string[]; compartments: string[] } | null;
  order: {
    orderId: string;
    orderUpdateId: number;
    lastNodeId: string;
    lastNodeSequenceId: number;
    nodesLeft: number;
    actionStates: State['actionStates'];
  } | null;
  mission: { id: string; status: string; currentStop: number | null } | null;
  lastStateAt: string | null;
  rejectedMessages: Record<string, number>;
}

@Injectable()
export class RobotsService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly live: RobotStateService,
    private readonly active: ActiveMissions,
  ) {}

  async list(): Promise<RobotView[]> {
    return (await this.devices.list({ kind: 'robot' })).filter((d) => !d.revokedAt).map((d) => this.view(d));
  }

  async get(id: string): Promise<RobotView> {
    const d = await this.devices.findById(id);
    if (!d || d.kind !== 'robot') throw new NotFoundError('Robot', id);
    return this.view(d);
  }

  private view(d: DeviceEntity): RobotView {
    const r = this.live.get(d.id);
    const s = r?.state ?? null;
    const m = this.active.activeMissionOf(d.id);
    const f = this.live.factsheetOf(d.id);
    const capability = f ? capabilityOf(f.factsheet) : null;
    return {
      id: d.id,
      name: d.name,
      manufacturer: d.manufacturer!,
      serialNumber: d.serialNumber!,
      connection: r?.connection ?? null,
      stale: r?.stale ?? false,
      version: r?.version ?? null,
      position: r?.position ? { x: r.position.x, y: r.position.y, theta: r.position.theta, mapId: r.position.mapId } : null,
      battery: s ? { chargePct: s.batteryState.batteryCharge, charging: s.batteryState.charging } : null,
      driving: s?.driving ?? false,
      lastNodeId: s?.lastNodeId || null,
      paused: s?.paused ?? false,
      operatingMode: s?.operatingMode ?? null,
      errors: s?.errors ?? [],
      safety: s?.safetyState ?? null,
      loads: s?.loads ?? [],
      compartments: s ? readCompartments(s) : [],
      factsheetActions: capability ? [...capability.actions] : null,
      factsheet:
        f && capability
          ? { version: String(f.factsheet.version), receivedAt: f.receivedAt, actions: [...capability.actions], compartments: [...capability.compartments] }
          : null,
      order:
        s && s.orderId
          ? {
              orderId: s.orderId,
              orderUpdateId: s.orderUpdateId,
              lastNodeId: s.lastNodeId,
              lastNodeSequenceId: s.lastNodeSequenceId,
              nodesLeft: s.nodeStates.length,
              actionStates: s.actionStates,
            }
          : null,
      mission: m ? { id: m.id, status: m.status, currentStop: m.currentStop } : null,
      lastStateAt: r?.stateAt ?? null,
      rejectedMessages: r?.rejected ?? {},
    };
  }
}
