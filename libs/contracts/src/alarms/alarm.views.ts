/**
 * An alarm as the HTTP API answers it, as the event bus announces it and as a nurse station
 * shows it: one shape for all three (the web UI bundles this file as it is).
 */
export type AlarmChange = 'raised' | 'repeated' | 'acknowledged' | 'cleared' | 'escalated';

export interface AlarmView {
  id: string;
  key: string;
  type: string;
  severity: string;
  state: string;
  ward: string | null;
  source: { kind: string; id: string };
  /** a short line for a nurse, from the alarm catalogue (libs/domain/alarms) */
  title: string;
  message: string;
  details: Record<string, unknown>;
  occurrences: number;
  raisedAt: string;
  lastRaisedAt: string;
  acknowledged: { at: string; by: string } | null;
  cleared: { at: string; reason: string | null } | null;
  /**
   * How the alarm ends (catalogue): by itself when `condition` ends, or by a person of `roles`
   * (POST /api/alarms/:id/resolve with a reason). Null for a type the catalogue does not know.
   */
  clears: { by: 'condition'; condition: string } | { by: 'resolution'; roles: readonly string[]; audit: string; hint: string } | null;
  /**
   * Who may acknowledge it (POST /api/alarms/:id/acknowledge): null = anyone who may act on its
   * ward; else only these roles (an alarm waiting for a pharmacist's decision). Others get 403
   * `alarm_acknowledge_role_required`: a UI hides the button for them.
   */
  acknowledgeRoles: readonly string[] | null;
  /** who resolved it, as what, when and why (a `resolution` alarm closed by a person) */
  resolution: { by: string; role: string; reason: string; at: string } | null;
  escalationLevel: number;
}
