/** Which custody events belong in an export: those about a dose, order or delivery it contains. */
import type { InteropCustodyEvent } from './interop.types.js';

/** Events in chain order, each once, keeping only those about something in the bundle. */
export function relevantEvents(
  events: readonly InteropCustodyEvent[],
  scope: { doseIds: ReadonlySet<string>; orderIds: ReadonlySet<string>; deliveryId: string | null },
): InteropCustodyEvent[] {
  const seen = new Map<string, InteropCustodyEvent>();
  for (const e of events) {
    const inScope = e.doseId
      ? scope.doseIds.has(e.doseId)
      : (e.deliveryId != null && e.deliveryId === scope.deliveryId) || (e.orderId != null && scope.orderIds.has(e.orderId));
    if (inScope) seen.set(e.id, e);
  }
  return [...seen.values()].sort((a, b) => a.seq - b.seq);
}
