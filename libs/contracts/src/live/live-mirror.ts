/**
 * A client's copy of one room: applies the snapshot, then deltas in seq order, and position
 * samples. Pure (no socket, no DOM) so the web UI and the tests share it. A delta that skips a
 * seq means this copy can no longer be trusted: `apply` answers 'gap' and the owner subscribes
 * again with `resumeFrom()` (the server replays the missed deltas or sends a fresh snapshot).
 */
import type {
  LiveAlarm,
  LiveDelta,
  LiveEvent,
  LiveMission,
  LivePositionSample,
  LiveResumed,
  LiveRobot,
  LiveRoom,
  LiveSensorReading,
  LiveSnapshot,
} from './live.types.js';

export type ApplyResult = 'applied' | 'duplicate' | 'gap' | 'ignored';

export class LiveMirror {
  epoch: string | null = null;
  seq = -1;
  readonly robots = new Map<string, LiveRobot>();
  readonly missions = new Map<string, LiveMission>();
  /** open alarms (a cleared alarm leaves the map) */
  readonly alarms = new Map<string, LiveAlarm>();
  /** each sensor's newest reading, by device id */
  readonly sensors = new Map<string, LiveSensorReading>();
  /** ward-scoped events the mirror does not model (custody): newest last, bounded */
  readonly other: LiveEvent[] = [];
  snapshots = 0;

  constructor(
    readonly room: LiveRoom,
    private readonly keepOther = 200,
  ) {}

  get synced(): boolean {
    return this.epoch !== null;
  }

  /** What to send as `resume` when subscribing again. */
  resumeFrom(): { epoch: string; seq: number } | undefined {
    return this.epoch === null ? undefined : { epoch: this.epoch, seq: this.seq };
  }

  applySnapshot(s: LiveSnapshot): void {
    this.epoch = s.epoch;
    this.seq = s.seq;
    this.robots.clear();
    this.missions.clear();
    this.alarms.clear();
    this.sensors.clear();
    for (const r of s.sensors) this.sensors.set(r.deviceId, r);
    for (const r of s.robots) this.robots.set(r.id, r);
    for (const m of s.missions) this.missions.set(m.id, m);
    for (const a of s.alarms) this.alarms.set(a.id, a);
    this.snapshots++;
  }

  /** The server is about to replay fromSeq+1 … seq: nothing to reset. */
  applyResumed(r: LiveResumed): ApplyResult {
    if (r.epoch !== this.epoch || r.fromSeq !== this.seq) return 'gap';
    return 'applied';
  }

  apply(d: LiveDelta): ApplyResult {
    if (d.room !== this.room) return 'ignored';
    if (this.epoch === null || d.epoch !== this.epoch) return 'gap';
    if (d.seq <= this.seq) return 'duplicate';
    if (d.seq !== this.seq + 1) return 'gap';
    this.seq = d.seq;
    const e = d.event;
    switch (e.type) {
      case 'robot':
        this.robots.set(e.data.id, e.data);
        break;
      case 'robot.left':
        this.robots.delete(e.data.robotId);
        break;
      case 'mission':
        this.missions.set(e.data.id, e.data);
        break;
      case 'alarm':
        if (e.data.alarm.state === 'cleared') this.alarms.delete(e.data.alarm.id);
        else this.alarms.set(e.data.alarm.id, e.data.alarm);
        break;
      case 'sensor.readings':
        for (const r of e.data.readings) this.sensors.set(r.deviceId, r);
        break;
      default:
        this.other.push(e);
        if (this.other.length > this.keepOther) this.other.splice(0, this.other.length - this.keepOther);
    }
    return 'applied';
  }

  /**
   * A `deltas` frame: applies this room's deltas in order. 'gap' at the first one that skips
   * (the rest cannot be trusted either: subscribe again), else 'applied' if any applied.
   */
  applyBatch(batch: readonly LiveDelta[]): ApplyResult {
    let result: ApplyResult = 'ignored';
    for (const d of batch) {
      const r = this.apply(d);
      if (r === 'gap') return 'gap';
      if (r === 'applied' || (r === 'duplicate' && result === 'ignored')) result = r;
    }
    return result;
  }

  /** Positions move a robot the room already knows; others are not this room's business. */
  applyPosition(p: LivePositionSample): boolean {
    const r = this.robots.get(p.robotId);
    if (!r) return false;
    this.robots.set(p.robotId, { ...r, position: p.position, driving: p.driving });
    return true;
  }
}
