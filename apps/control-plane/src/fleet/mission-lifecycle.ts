/**
 * The one way a mission's status changes. Every move — queued on creation, assigned, sent,
 * accepted, running, at a stop, finished, failed, cancelled (also while still queued), and
 * the paused flag beside the status — is checked against the mission state machine
 * (libs/domain), saved together with its history line, and only then announced on the bus as
 * `mission.changed`: a listener (live stations, custody) never hears of a change that was not
 * committed, and a refused or failed change is never announced.
 *
 * Notes that do not change the status (order resent, acknowledged, updated, progress between
 * stops) are saved here too, without an announcement, so no other code writes missions.
 */
import { Injectable } from '@nestjs/common';
import { assertTransition, ConflictError, missionMachine, type MissionStatus } from '#domain';
import { type MissionEntity, MissionsRepository, newQueuedMission } from '#persistence';
import { EventBus } from '../common/events.js';
import { KeyedQueue } from '../common/keyed-queue.js';

/** What a new mission is made of (the rest starts empty: queued, no robot, no order). */
export type NewMission = Parameters<typeof newQueuedMission>[0];

/** Fields a status change (or a note) may set on the mission along with it; never the status itself. */
export type MissionPatch = Partial<Pick<MissionEntity, 'robotId' | 'orderId' | 'orderUpdateId' | 'orderBody' | 'currentStop' | 'failureReason' | 'paused'>>;

type Details = Record<string, unknown>;

@Injectable()
export class MissionLifecycle {
  private readonly writes = new KeyedQueue();

  constructor(
    private readonly missions: MissionsRepository,
    private readonly bus: EventBus,
  ) {}

  /** Queues a new mission: saved with its `created` history line, then announced. */
  async create(fields: NewMission, details: Details = {}): Promise<MissionEntity> {
    const m = newQueuedMission(fields);
    await this.missions.save(m, 'created', details);
    this.announce(m);
    return m;
  }

  /**
   * Moves `m` to `to`: refused with the domain's RuleViolationError (`illegal_transition`)
   * before anything is touched when the machine does not allow it; otherwise the patch and the
   * status are applied, saved with the history line `event`, and announced once the save has
   * committed. A save that throws announces nothing.
   */
  async transition(m: MissionEntity, to: MissionStatus, event: string, details: Details = {}, patch: MissionPatch = {}): Promise<MissionEntity> {
    return this.inOrder(m, async () => {
      assertTransition(missionMachine, m.status, to);
      // conditional on the status this move starts from: a move of the same mission made from
      // another copy of it (a cancel while a dispatch round assigns it) makes the later one
      // fail, not overwrite
      await this.saved(m, { ...patch, status: to, updatedAt: new Date() }, event, details, { status: m.status });
      this.announce(m);
      return m;
    });
  }

  /**
   * Sets the paused flag (a status of its own it is not: the mission stays where it is). The
   * history line is written even when the flag does not change: its reason matters.
   */
  async setPaused(m: MissionEntity, paused: boolean, event: 'paused' | 'resumed', details: Details = {}): Promise<MissionEntity> {
    return this.inOrder(m, async () => {
      await this.saved(m, { paused, updatedAt: new Date() }, event, details);
      this.announce(m);
      return m;
    });
  }

  /**
   * A history line that leaves the status alone (order resent, acknowledged, updated; the robot
   * moved on to the next stop). Not announced. `updatedAt` moves only when the patch changes
   * something the mission shows.
   */
  async note(m: MissionEntity, event: string, details: Details = {}, patch?: MissionPatch): Promise<void> {
    await this.inOrder(m, () => this.saved(m, patch ? { ...patch, updatedAt: new Date() } : {}, event, details));
  }

  /** Cancels a mission no robot has taken yet. One that is running is cancelled through its robot (MissionProgress). */
  async cancelQueued(missionId: string, by: string): Promise<MissionEntity> {
    const m = await this.missions.findById(missionId);
    if (!m) throw new ConflictError('mission vanished', 'mission_not_found');
    if (m.status !== 'queued') throw new ConflictError(`mission is ${m.status}`, 'mission_ended', { status: m.status });
    return this.transition(m, 'cancelled', 'cancelled', { by });
  }

  /**
   * Applies `changes` to the mission and saves it with its history line; a save that throws
   * puts the fields back, so the mission in memory (the one the dispatcher and the live view
   * read) never shows a change the database does not hold, and the next attempt starts over.
   */
  /**
   * The writes of one mission run one at a time, in the order they were asked for (a robot's
   * state and the dispatcher's clock can move the same mission at once): each checks the
   * machine against the status the previous one left, and on PostgreSQL, whose pool may start
   * the later transaction first, the conditional save would otherwise refuse it.
   */
  private inOrder<T>(m: MissionEntity, work: () => Promise<T>): Promise<T> {
    return this.writes.run(m.id, work);
  }

  private async saved(m: MissionEntity, changes: Partial<MissionEntity>, event: string, details: Details, expect?: { status: MissionStatus }): Promise<void> {
    const before: Partial<MissionEntity> = {};
    for (const k of Object.keys(changes) as (keyof MissionEntity)[]) (before as Record<string, unknown>)[k] = m[k];
    Object.assign(m, changes);
    try {
      await (expect ? this.missions.save(m, event, details, expect) : this.missions.save(m, event, details));
    } catch (err) {
      Object.assign(m, before);
      throw err;
    }
  }

  /**
   * Tells listeners the mission changed without a write of its own: after one committed, or
   * when what is derived from it changed (a queued mission's waiting reason).
   */
  announce(m: MissionEntity): void {
    this.bus.emit('mission.changed', { missionId: m.id, status: m.status, robotId: m.robotId });
  }
}
