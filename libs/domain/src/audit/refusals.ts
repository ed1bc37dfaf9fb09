/**
 * Refusals as records. Every refused custody-relevant act is written on the custody chain as
 * an event of its own — who tried, what was refused and why (the error code), the dose, order
 * or delivery it concerned, where, and the evidence — so a safety officer finds it through the
 * audit query, not in a log. The act decides the event's action name; an event is a refusal
 * exactly when its action is one of these, which is what the query's `outcome` filter reads.
 */

/** The acts MedLoop refuses on the custody record, each with the action its refusal is written as. */
export const REFUSAL_ACTIONS = {
  verification: 'verification_refused',
  pick: 'pick_refused',
  check: 'check_refused',
  load: 'load_refused',
  dispatch: 'dispatch_refused',
  courier_handoff: 'courier_handoff_refused',
  unlock: 'unlock_refused',
  receipt: 'receipt_refused',
  // the first refusal written, under the name it has carried since
  administration: 'administration_blocked',
  release: 'release_refused',
  destroy: 'destroy_refused',
  return: 'return_refused',
  recall: 'recall_refused',
  cabinet_removal: 'cabinet_removal_refused',
  cabinet_waste: 'cabinet_waste_refused',
  override_review: 'override_review_refused',
  // any other write refused for another ward's resource (the ward-scope guard)
  access: 'access_refused',
} as const;

export type RefusableAct = keyof typeof REFUSAL_ACTIONS;

/**
 * Actions that record a refusal by a device or a failed confirmation rather than a person's
 * request: the robot refused the order before departure, or an unlock it never confirmed.
 * They are refusals for the query too.
 */
const DEVICE_REFUSALS = ['unlock_failed'] as const;

/** Every action that records a refusal (the audit query's `outcome=refused`). */
export const REFUSAL_ACTION_NAMES: readonly string[] = [...new Set<string>([...Object.values(REFUSAL_ACTIONS), ...DEVICE_REFUSALS])];

const REFUSALS = new Set(REFUSAL_ACTION_NAMES);

export const refusalAction = (act: RefusableAct): string => REFUSAL_ACTIONS[act];

export const isRefusalAction = (action: string): boolean => REFUSALS.has(action);

/**
 * What a refusal's evidence keeps from the error's details: plain facts (ids, codes, counts,
 * short texts), never a credential. A detail named like a secret is dropped whatever it holds.
 */
export function refusalDetails(details: unknown): Record<string, unknown> {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details as Record<string, unknown>)) {
    if (/pin|password|token|secret/i.test(k)) continue;
    if (typeof v === 'string') out[k] = v.slice(0, 200);
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
    else if (Array.isArray(v) && v.length <= 20 && v.every((x) => typeof x === 'string' || typeof x === 'number')) out[k] = v;
  }
  return out;
}
