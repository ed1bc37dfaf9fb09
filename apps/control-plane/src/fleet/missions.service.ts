/**
 * Transport missions as the pharmacy creates and follows them. Creation validates every stop
 * against the site graph (unknown node → 400 naming the stop, unreachable leg → 422), queues
 * it through the MissionLifecycle and wakes the dispatch round. Cancel, pause and resume act on
 * the robot through MissionProgress, which follows the active missions.
 */
import { Injectable } from '@nestjs/common';
import { ConflictError, filterInWardScope, NotFoundError, RuleViolationError, ValidationError, type MissionStatus } from '#domain';
import { type MissionEntity, MissionsRepository } from '#persistence';
import type { AuthUser } from '../common/auth.decorators.js';
import { SiteService } from '../site/site.service.js';
import { ActiveMissions } from './active-missions.js';
import { DispatchRound } from './dispatch-round.js';
import { MissionLifecycle } from './mission-lifecycle.js';
import { MissionProgress } from './mission-progress.js';
import type { CreateMission } from './mission.dto.js';

/**
 * The ward a mission belongs to for the ward-scope rule: the ward of the cargo it carries (a
 * delivery's mission names it). A mission without a ward's cargo (an empty transfer, charging) is
 * pharmacy-level: seen by the roles that see every ward.
 */
export function missionWard(m: Pick<MissionEntity, 'cargo'>): string | null {
  const ward: unknown = m.cargo?.['ward'];
  return typeof ward === 'string' ? ward : null;
}

export interface MissionView {
  id: string;
  kind: MissionEntity['kind'];
  priority: MissionEntity['priority'];
  status: MissionStatus;
  paused: boolean;
  stops: MissionEntity['stops'];
  currentStop: number | null;
  robotId: string | null;
  requiredRobotId: string | null;
  orderId: string | null;
  orderUpdateId: number;
  failureReason: string | null;
  /** why a queued mission has no robot yet (from the last dispatch round) */
  waitingReason: string | null;
  cargo: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  history?: { seq: number; at: string; event: string; status: string | null; details: Record<string, unknown> }[];
}

@Injectable()
export class MissionsService {
  constructor(
    private readonly missions: MissionsRepository,
    private readonly site: SiteService,
    private readonly lifecycle: MissionLifecycle,
    private readonly progress: MissionProgress,
    private readonly round: DispatchRound,
    private readonly active: ActiveMissions,
  ) {}

  async create(input: CreateMission, user: AuthUser | null, kind: MissionEntity['kind'] = 'transport'): Promise<MissionView> {
    const graph = this.site.graph;
    input.stops.forEach((s, i) => {
      if (!graph.hasNode(s.nodeId)) throw new ValidationError(`stops[${i}].nodeId: unknown node '${s.nodeId}'`, `stops[${i}].nodeId`);
    });
    for (let i = 1; i < input.stops.length; i++) {
      const from = input.stops[i - 1]!.nodeId;
      const to = input.stops[i]!.nodeId;
      try {
        graph.planRoute(from, to, { speed: 1 });
      } catch {
        throw new RuleViolationError(`stops[${i}]: no route from '${from}' to '${to}'`, 'destination_unreachable', { field: `stops[${i}].nodeId`, from, to });
      }
    }
    const createdBy = user?.username ?? null;
    const m = await this.lifecycle.create(
      {
        kind,
        priority: input.priority,
        stops: input.stops.map((s) => ({ nodeId: s.nodeId, actions: s.actions })),
        requiredRobotId: input.requiredRobotId ?? null,
        cargo: (input.cargo as Record<string, unknown> | undefined) ?? null,
        createdBy,
      },
      { by: createdBy, priority: input.priority, stops: input.stops.length },
    );
    this.round.poke();
    return this.view(m);
  }

  async get(id: string): Promise<MissionView> {
    const m = await this.require(id);
    const history = await this.missions.history(id);
    return { ...this.view(m), history: history.map((h) => ({ seq: h.seq, at: h.at.toISOString(), event: h.event, status: h.status, details: h.details })) };
  }

  async list(filter: { status?: MissionStatus | undefined; robotId?: string | undefined; limit?: number | undefined }, user: AuthUser): Promise<MissionView[]> {
    return filterInWardScope(user, await this.missions.list(filter), missionWard).map((m) => this.view(m));
  }

  async cancel(id: string, user: AuthUser): Promise<MissionView> {
    await this.require(id);
    return this.view(await this.progress.cancel(id, user.username));
  }

  async pause(id: string, user: AuthUser, paused: boolean): Promise<MissionView> {
    const m = await this.require(id);
    if (m.status === 'queued') throw new ConflictError('a queued mission has no robot to pause yet; cancel it instead', 'mission_not_running');
    return this.view(await this.progress.setPaused(id, paused, user.username));
  }

  private async require(id: string): Promise<MissionEntity> {
    const m = await this.missions.findById(id);
    if (!m) throw new NotFoundError('Mission', id);
    return m;
  }

  view(m: MissionEntity): MissionView {
    return {
      id: m.id,
      kind: m.kind,
      priority: m.priority,
      status: m.status,
      paused: m.paused,
      stops: m.stops,
      currentStop: m.currentStop,
      robotId: m.robotId,
      requiredRobotId: m.requiredRobotId,
      orderId: m.orderId,
      orderUpdateId: m.orderUpdateId,
      failureReason: m.failureReason,
      waitingReason: m.status === 'queued' ? this.active.waitingReason(m.id) : null,
      cargo: m.cargo,
      createdAt: m.createdAt.toISOString(),
      updatedAt: m.updatedAt.toISOString(),
    };
  }
}
