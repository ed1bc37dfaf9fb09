/**
 * Reads a robot's `state.errors[]` for refusals of a message MedLoop sent: a robot that cannot
 * validate or accept an order or instant actions says so only there (VDA 5050 has no
 * acknowledgement topic), and an unread refusal is an unlock that silently never happens.
 *
 * A refusal is an error of one of these types (VDA 5050 2.x §6.10, and what vda-5050-lib's
 * AgvController 1.4.0 reports when it turns a message away, controller/agv-controller.js):
 * - `validationError`: the order or instantActions message failed the robot's schema (:255,
 *   :1071); nothing of it is executed.
 * - `orderError`: the order is not executable now (charging, e-stop, operating mode, an order
 *   being cancelled, one of its actions not executable: :261–:294, :598); the whole order is
 *   dropped, even when the error also names that action.
 * - `orderUpdateError`: an update with an older orderUpdateId or a base that does not extend
 *   the current one (:299–:333); the update is dropped.
 * - `noRouteError`: the route is not traversable, or the first node of a new order is not
 *   within the deviation range (:589, :645); the order is dropped.
 * Or, for a robot of another make with types of its own, an error that names a message by
 * `headerId` and names no action: the library's message refusals always carry the headerId
 * (:1213–:1215, :1252–:1254) and its action errors never do (:1231–:1240).
 *
 * Not refusals: `noOrderToCancel` (a cancelOrder when there is nothing to cancel; MedLoop sends
 * one after giving a mission up, and the robot holding no order is the wanted outcome), and
 * action errors, `orderActionError` / `instantActionError` (an action that failed while
 * running, or an instant action the robot cannot execute: :904, :1196). The library adds a
 * `topic` reference to every one of them (:1236), so a topic names no refused message; they
 * name their actionId and are the mission's and the instant action's business
 * (mission-progress, robot-confirmations).
 */
import { createHash } from 'node:crypto';
import type { VdaError } from '#contracts';

export const MESSAGE_REFUSAL_ERROR_TYPES: readonly string[] = ['validationError', 'orderError', 'orderUpdateError', 'noRouteError'];

/** never a refusal, whatever it references */
const NOT_REFUSAL_ERROR_TYPES: readonly string[] = ['noOrderToCancel'];

/**
 * Refusals read per state: each is an alarm, and the robot decides how many errors it lists;
 * a robot repeating twenty distinct refusals has made its point.
 */
export const MAX_MESSAGE_REFUSALS_PER_STATE = 20;

/** Robot text kept per field in the alarm (the robot decides its length). */
export const MESSAGE_REFUSAL_TEXT_MAX = 500;

export interface MessageRefusal {
  /**
   * stable per distinct error (errorType and its references, else its text), short whatever
   * the robot sent: 16 hex digits of its SHA-256, the dedupe key of its alarm
   */
  key: string;
  errorType: string;
  topic: string | null;
  headerId: string | null;
  orderId: string | null;
  actionId: string | null;
  errorDescription: string | null;
}

export function isMessageRefusal(e: VdaError): boolean {
  if (NOT_REFUSAL_ERROR_TYPES.includes(e.errorType)) return false;
  if (MESSAGE_REFUSAL_ERROR_TYPES.includes(e.errorType)) return true;
  const refs = e.errorReferences ?? [];
  return refs.some((r) => r.referenceKey === 'headerId') && !refs.some((r) => r.referenceKey === 'actionId');
}

const clip = (s: string | null | undefined): string | null => (s === null || s === undefined ? null : s.slice(0, MESSAGE_REFUSAL_TEXT_MAX));

export function messageRefusals(errors: readonly VdaError[]): MessageRefusal[] {
  const out = new Map<string, MessageRefusal>();
  for (const e of errors) {
    if (out.size >= MAX_MESSAGE_REFUSALS_PER_STATE) break;
    if (!isMessageRefusal(e)) continue;
    const refs = e.errorReferences ?? [];
    const ref = (k: string) => clip(refs.find((r) => r.referenceKey === k)?.referenceValue);
    const named = refs.map((r) => [r.referenceKey, r.referenceValue]).sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
    // without references only the text tells two errors apart
    const canonical = JSON.stringify([e.errorType, named.length > 0 ? named : (e.errorDescription ?? '')]);
    const key = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
    if (out.has(key)) continue;
    out.set(key, {
      key,
      errorType: clip(e.errorType)!,
      topic: ref('topic'),
      headerId: ref('headerId'),
      orderId: ref('orderId'),
      actionId: ref('actionId'),
      errorDescription: clip(e.errorDescription),
    });
  }
  return [...out.values()];
}
