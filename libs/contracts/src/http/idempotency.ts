/**
 * Which HTTP routes honour an `Idempotency-Key` (the server's custody-changing controllers,
 * marked `@Idempotent()`): a client may resend a POST/PUT there with the same key after a lost
 * answer, and the server returns the first outcome instead of writing twice. Elsewhere the
 * header is ignored, so a lost answer must not be retried blindly.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

// custody routes, a quarantined dose's review, a pocket's ledger actions (remove, restock, waste, count…; not PUT configure), and resolving an alarm
const IDEMPOTENT_ROUTE =
  /^\/api\/(?:(?:orders|deliveries|administrations|recalls|discrepancies|cold-chain)(?:[/?]|$)|cabinets\/[^/]+\/pockets\/[^/]+\/[a-z-]+|doses\/[^/]+\/(?:release|destroy|return)(?:[/?]|$)|alarms\/[^/]+\/resolve(?:[/?]|$))/;

export function honoursIdempotencyKey(method: string, path: string): boolean {
  return (method === 'POST' || method === 'PUT') && IDEMPOTENT_ROUTE.test(path);
}
