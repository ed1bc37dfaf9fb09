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
  message: string;
  details: Record<string, unknown>;
  occurrences: number;
  raisedAt: string;
  lastRaisedAt: string;
  acknowledged: { at: string; by: string } | null;
  cleared: { at: string; reason: string | null } | null;
  escalationLevel: number;
}
