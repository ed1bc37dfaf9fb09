/**
 * Every domain event of the control plane, by type: the one channel features announce state
 * changes on (apps/control-plane/src/common/events.ts carries them in process; a cluster's
 * durable transport will carry these same payloads). An event is announced once, after the
 * change it reports has been committed, by the transition function that made it (custody
 * transitions, the mission lifecycle, the alarm service…), never by a caller on its behalf.
 *
 * Payloads are contract views (the shapes the web UI already reads), so a listener in another
 * feature, the live gateway and the browser all see one type. Every event here is either
 * routed to live rooms or heard in process; the live routing table
 * (apps/control-plane/src/live/live.routes.ts) is typed over this map, so an event added here
 * and not routed or marked internal is a compile error, and an e2e spec checks that each
 * internal one has a listener at run time. Plain types only: the web UI bundles this file.
 */
import type { AlarmChange, AlarmView } from '../alarms/alarm.views.js';
import type { State } from '../vda5050/vda5050.types.js';

export type StorageKind = 'fridge' | 'cabinet_drawer' | 'robot_compartment';

export interface DomainEventMap {
  /** an order's status changed (created, verified, stopped, completed…) */
  'custody.order_changed': { orderId: string; status: string; ward: string };
  /** a delivery moved through its machine (committed with its custody event) */
  'custody.delivery_changed': { deliveryId: string; ward: string; state: string; robotId: string | null };
  /** a dose moved through its machine (committed with its custody event) */
  'custody.dose_changed': { doseId: string; ward: string | null; state: string; patientId: string; deliveryId: string | null };
  'robot.connection': { deviceId: string; connection: 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN'; previous: string | null };
  /** every accepted VDA 5050 state of a robot (the fleet and custody follow it; not a UI event) */
  'robot.state': { deviceId: string; state: State };
  /** what a person sees of a robot may have changed (state, connection, staleness) */
  'robot.updated': { deviceId: string };
  /** a mission was created, assigned, progressed, paused, resumed or ended, or a queued one's waiting reason changed (the live read model looks it up) */
  'mission.changed': { missionId: string; status: string; robotId: string | null };
  'alarm.changed': { change: AlarmChange; alarm: AlarmView };
  'device.online': { deviceId: string; kind: string; clientId: string; at: string };
  /** one session ended; `sessions` says how many of the device's sessions are still live */
  'device.offline': { deviceId: string; kind: string; graceful: boolean; sessions: number; at: string };
  /** a device's live sessions must end now (revoked, or its credentials rotated) */
  /** `generation`: the device's credential generation from now on; sessions authorised against an older one are stale */
  'device.sessions_invalidated': { deviceId: string; reason: 'revoked' | 'credentials_rotated'; generation: number };
  /**
   * What a person may see changed (committed): disabled or enabled, role or wards changed. Live
   * sockets of that user re-check their rooms.
   */
  'user.access_changed': { userId: string; reasons: ('disabled' | 'enabled' | 'role' | 'wards')[] };
  /**
   * A user's credentials changed (committed): a new password (set by an administrator) or the
   * account disabled. The UPDATE bumped the user's credential generation, so no session of
   * the old credentials is honoured any more; the auth feature ends them (rows, sockets).
   */
  'user.credentials_changed': {
    userId: string;
    reason: 'password_changed' | 'disabled';
    /** the user's credential generation after the change */ generation: number;
  };
  /**
   * Sign-in sessions of a user ended (committed): `sessionIds` null = every session of the user.
   * Their access tokens answer 401 from now on; live sockets opened with them are closed.
   */
  'auth.sessions_revoked': {
    userId: string;
    sessionIds: string[] | null;
    reason: 'logout' | 'password_changed' | 'credentials_changed' | 'disabled' | 'signed_out_everywhere' | 'refresh_reused' | 'expired';
  };
  /**
   * The latest values of a ward sensor (one per accepted, current telemetry message; live
   * rooms receive them rate-limited per sensor). Keys are `{channel}.{metric}`.
   */
  'sensor.reading': { deviceId: string; name: string; ward: string | null; at: string; values: Record<string, number | boolean> };
  /** a unit left a cabinet pocket (remove or override-remove): custody links it to the dose's pick step */
  'cabinet.removed': {
    cabinetId: string;
    pocketId: string;
    entryId: string;
    gtin: string;
    lot: string;
    expiry: string;
    serial?: string;
    userId: string;
    orderId?: string;
    overrideReason?: string;
    quantity: number;
    at: string;
  };
  /**
   * A storage unit (fridge, refrigerated cabinet drawer, robot compartment) went out of range
   * long enough to be an excursion (status `excursion`), was quarantined, or recovered
   * (`closed`, window.end set), or its stock was released or destroyed by a pharmacist. Every
   * dose inside it during the window is affected: custody hears `quarantine` (again when the
   * window closes and has grown) and quarantines the doses that were inside.
   */
  'coldchain.excursion': {
    excursionId: string;
    storageId: string;
    storageKind: StorageKind;
    ward: string | null;
    status: 'excursion' | 'quarantine' | 'closed' | 'released' | 'destroyed';
    window: { start: string; end: string | null };
    minC: number;
    maxC: number;
    /** who decided (released / destroyed) */
    by?: string;
    at: string;
  };
}

export type DomainEventType = keyof DomainEventMap;
export type DomainEvent = { [K in DomainEventType]: { type: K; payload: DomainEventMap[K] } }[DomainEventType];
