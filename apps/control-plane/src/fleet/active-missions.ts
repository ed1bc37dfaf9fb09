/**
 * The fleet's read model of missions in flight: which robot runs which mission (with the order
 * as sent and its delivery tracker), and why each queued mission is still waiting (from the last
 * dispatch round). The dispatch round, the order channel and mission progress keep it; the
 * live projection, the robots API and custody only read it (`activeMissionOf`, `waitingReason`).
 * In memory: rebuilt from the active missions in the database after a restart.
 */
import { Injectable } from '@nestjs/common';
import type { BuiltOrder, OrderTracker } from '#domain';
import type { MissionEntity } from '#persistence';
import type { RobotAddress } from './robot-commands.service.js';

export type PauseCause = 'user' | 'estop' | 'offline';

export interface ActiveMission {
  mission: MissionEntity;
  robot: RobotAddress;
  /** the order body as sent, and where each stop's actions sit in it */
  built: BuiltOrder;
  tracker: OrderTracker;
  /** why the mission is paused: a user, an e-stop, or the robot's link */
  pauses: Set<PauseCause>;
  offlineSince: number | null;
}

@Injectable()
export class ActiveMissions {
  private readonly byRobot = new Map<string, ActiveMission>(); // by robot device id
  private readonly waiting = new Map<string, string>(); // mission id → why it waits

  /** The mission the robot is running, if any. */
  activeMissionOf(robotId: string): MissionEntity | undefined {
    return this.byRobot.get(robotId)?.mission;
  }

  /** Why a queued mission has no robot yet (from the last dispatch round), or null. */
  waitingReason(missionId: string): string | null {
    return this.waiting.get(missionId) ?? null;
  }

  ofRobot(robotId: string): ActiveMission | undefined {
    return this.byRobot.get(robotId);
  }

  ofMission(missionId: string): ActiveMission | undefined {
    for (const a of this.byRobot.values()) if (a.mission.id === missionId) return a;
    return undefined;
  }

  isBusy(robotId: string): boolean {
    return this.byRobot.has(robotId);
  }

  /** A copy: callers may end missions while they walk it. */
  all(): ActiveMission[] {
    return [...this.byRobot.values()];
  }

  add(a: ActiveMission): void {
    this.byRobot.set(a.robot.deviceId, a);
    this.waiting.delete(a.mission.id);
  }

  remove(robotId: string): void {
    this.byRobot.delete(robotId);
  }

  /**
   * Replaces the waiting reasons with this round's. Returns the missions whose reason changed
   * (appeared, changed, or went away), so the round can announce them.
   */
  replaceWaiting(next: ReadonlyMap<string, string>): string[] {
    const changed: string[] = [];
    for (const [id, reason] of next) if (this.waiting.get(id) !== reason) changed.push(id);
    for (const id of this.waiting.keys()) if (!next.has(id)) changed.push(id);
    this.waiting.clear();
    for (const [id, reason] of next) this.waiting.set(id, reason);
    return changed;
  }

  clearWaiting(missionId: string): void {
    this.waiting.delete(missionId);
  }
}
