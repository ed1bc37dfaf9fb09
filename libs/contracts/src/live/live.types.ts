/**
 * The live (socket.io) protocol between the control plane and browsers: room names, the typed
 * event map and the message shapes each side sends. Plain types and tiny pure helpers only (no
 * zod, no Node): the web UI bundles this file as it is. The server-side schemas that validate
 * what browsers send live in live.schemas.ts.
 *
 * Model: a client subscribes to rooms. Every room numbers its events (`seq`, per room, within
 * one server `epoch`); a subscriber first receives a snapshot stamped with the room's seq, then
 * deltas in seq order. After a reconnect it subscribes again with the last (epoch, seq) it
 * applied and receives the missed deltas from the room's ring buffer, or a fresh snapshot when
 * it is too far behind or the server restarted (new epoch). Robot positions are samples, not
 * events: they are coalesced per robot, sent volatile and carry no seq of their own.
 */

import type { AlarmChange, AlarmView } from '../alarms/alarm.views.js';
import type { DomainEventMap } from '../events/domain-events.js';

/** socket.io namespace of the live gateway. */
export const LIVE_NAMESPACE = '/live';

/** `site` (every ward, the whole fleet: pharmacists, admins, ward-round pharmacists) or `ward:<wardId>`. */
export type LiveRoom = 'site' | `ward:${string}`;

export const SITE_ROOM = 'site' as const;
export const wardRoom = (wardId: string): LiveRoom => `ward:${wardId}`;
/** The ward of a ward room, or null for the site room. */
export const wardOfRoom = (room: LiveRoom): string | null => (room.startsWith('ward:') ? room.slice(5) : null);

// ---- entities carried by snapshots and deltas (whole objects: a delta is an upsert) ----------

export interface LivePosition {
  x: number;
  y: number;
  theta: number;
  mapId: string;
}

export interface LiveRobot {
  id: string;
  manufacturer: string;
  serialNumber: string;
  connection: 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN' | null;
  stale: boolean;
  position: LivePosition | null;
  /** whole percent: finer changes are not news to a person */
  batteryPct: number | null;
  charging: boolean;
  driving: boolean;
  paused: boolean;
  operatingMode: string | null;
  eStop: string | null;
  errors: { type: string; level: string }[];
  lastNodeId: string | null;
  missionId: string | null;
}

export interface LiveMission {
  id: string;
  kind: string;
  priority: string;
  status: string;
  paused: boolean;
  robotId: string | null;
  stops: { nodeId: string; ward: string | null }[];
  currentStop: number | null;
  /** wards this mission serves (from its stops) */
  wards: string[];
  failureReason: string | null;
  waitingReason: string | null;
  cargo: Record<string, unknown> | null;
  /** estimated arrival at the last stop (ISO time), when the robot and route are known */
  eta: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Alarms travel as the REST API's view (libs/contracts/src/alarms). */
export type LiveAlarmChange = AlarmChange;
export type LiveAlarm = AlarmView;

/** A ward sensor's newest values (`{channel}.{metric}` → value), as the sensor reported them at `at`. */
export type LiveSensorReading = DomainEventMap['sensor.reading'];

/**
 * Every sequenced event a room carries, by type. The custody events are domain
 * events forwarded as they are (their payload names their ward): adding one is one line here
 * and one in the server's routing table (apps/control-plane/src/live/live.routes.ts), which
 * the compiler holds to this map and to DomainEventMap.
 */
export interface LiveEventMap {
  /** a robot's state as a person sees it changed (or it became relevant to the room) */
  robot: LiveRobot;
  /** the robot is no longer relevant to this room (left the ward's floor, mission done) */
  'robot.left': { robotId: string };
  mission: LiveMission;
  alarm: { change: LiveAlarmChange; alarm: LiveAlarm };
  device: { deviceId: string; kind: string; ward: string | null; online: boolean; at: string };
  'custody.dose_changed': DomainEventMap['custody.dose_changed'];
  'custody.delivery_changed': DomainEventMap['custody.delivery_changed'];
  'custody.order_changed': DomainEventMap['custody.order_changed'];
  /**
   * Sensors of the room whose reading came due (each at most once per LIVE_SENSOR_INTERVAL_MS,
   * the newest reading, and only when its shown value changed or some minutes passed).
   */
  'sensor.readings': { readings: LiveSensorReading[] };
}
export type LiveEventType = keyof LiveEventMap;
export type LiveEvent = { [K in LiveEventType]: { type: K; data: LiveEventMap[K] } }[LiveEventType];

// ---- server → client ------------------------------------------------------------------

export interface LiveSnapshot {
  room: LiveRoom;
  epoch: string;
  /** the room's seq this snapshot includes; deltas with a higher seq follow */
  seq: number;
  at: string;
  robots: LiveRobot[];
  missions: LiveMission[];
  /** open (not cleared) alarms */
  alarms: LiveAlarm[];
  /** the newest reading of each of the room's sensors heard since the server started */
  sensors: LiveSensorReading[];
}

export interface LiveDelta {
  room: LiveRoom;
  epoch: string;
  seq: number;
  at: string;
  event: LiveEvent;
}

/** A position sample: latest wins, may be dropped, one per robot per client per 1/LIVE_POSITION_HZ. */
export interface LivePositionSample {
  robotId: string;
  position: LivePosition;
  driving: boolean;
  at: string;
}

export interface LiveResumed {
  room: LiveRoom;
  epoch: string;
  /** the missed deltas (fromSeq+1 … seq) follow this message in `deltas` frames */
  fromSeq: number;
  seq: number;
}

export interface LiveError {
  code: string;
  message: string;
  /** the offending field of the message (dot path), when there is one */
  field?: string;
  /** the client event that caused it */
  event?: string;
  room?: string;
}

export interface LiveServerEvents {
  snapshot: (s: LiveSnapshot) => void;
  /** the deltas of the client's rooms since the last frame, each room's in seq order */
  deltas: (batch: LiveDelta[]) => void;
  resumed: (r: LiveResumed) => void;
  unsubscribed: (u: { room: LiveRoom }) => void;
  /** position samples released since the last frame (at most one per robot per 1/LIVE_POSITION_HZ) */
  positions: (samples: LivePositionSample[]) => void;
  error: (e: LiveError) => void;
}

// ---- client → server ------------------------------------------------------------------

export interface LiveSubscribe {
  room: LiveRoom;
  /** the last (epoch, seq) this client applied for the room, to resume after a reconnect */
  resume?: { epoch: string; seq: number };
}

export interface LiveClientEvents {
  subscribe: (m: LiveSubscribe) => void;
  unsubscribe: (m: { room: LiveRoom }) => void;
}

/** What the client puts in the socket.io handshake. */
export interface LiveHandshakeAuth {
  token: string;
}
