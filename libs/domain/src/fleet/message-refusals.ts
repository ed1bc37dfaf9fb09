/**
 * Reads a robot's `state.errors[]` for refusals of a message MedLoop sent: a robot that cannot
 * validate or accept an order or instant actions says so only there (VDA 5050 has no
 * acknowledgement topic), and an unread refusal is an unlock that silently never happens.
 *
 * A refusal is an error of type `validationError`, `orderError` or `orderUpdateError`, or any
 * error whose references name a message (`topic` or `headerId`). Errors naming only an
 * `actionId` or `orderId` (an action that failed while running, e.g. a compartment error) are
 * the mission's business, not a refused message, and are left to it.
 */
import type { VdaError } from '#contracts';

export const MESSAGE_REFUSAL_ERROR_TYPES: readonly string[] = ['validationError', 'orderError', 'orderUpdateError'];

export interface MessageRefusal {
  /** stable per distinct error: errorType and its references (the dedupe key of its alarm) */
  key: string;
  errorType: string;
  topic: string | null;
  headerId: string | null;
  orderId: string | null;
  actionId: string | null;
  errorDescription: string | null;
}

export function messageRefusals(errors: readonly VdaError[]): MessageRefusal[] {
  const out = new Map<string, MessageRefusal>();
  for (const e of errors) {
    const refs = e.errorReferences ?? [];
    const ref = (k: string) => refs.find((r) => r.referenceKey === k)?.referenceValue ?? null;
    const topic = ref('topic');
    const headerId = ref('headerId');
    if (!MESSAGE_REFUSAL_ERROR_TYPES.includes(e.errorType) && topic === null && headerId === null) continue;
    const named = refs
      .map((r) => `${r.referenceKey}=${r.referenceValue}`)
      .sort()
      .join(',');
    // without references only the text tells two errors apart
    const key = `${e.errorType}|${named || (e.errorDescription ?? '')}`;
    out.set(key, {
      key,
      errorType: e.errorType,
      topic,
      headerId,
      orderId: ref('orderId'),
      actionId: ref('actionId'),
      errorDescription: e.errorDescription ?? null,
    });
  }
  return [...out.values()];
}
