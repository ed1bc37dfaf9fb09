/**
 * aedes 1.2 reads a client's socket again once every packet of the last read has been handled:
 * each handled packet counts itself out by calling `_nextBatch`, and the count reaching zero
 * reads more. While the client is paused, `_nextBatch` returns before counting, so a packet
 * that finishes during a pause (a PUBACK whose persistence call was still pending, a publish
 * waiting for the message queue) is never counted out; `resume()` counts out one, and with two
 * or more finished meanwhile the client is never read again. This keeps the count: completions
 * during a pause are owed and counted out on resume. Covered by the throttling e2e test.
 */
interface PausableClient {
  _paused?: boolean;
  _nextBatch(err?: Error | null): void;
  resume(): void;
}

export function keepCountWhilePaused(client: PausableClient): void {
  const next = client._nextBatch;
  if (typeof next !== 'function' || typeof client.resume !== 'function') throw new Error('aedes client layout changed: _nextBatch/resume missing');
  let owed = 0;
  client._nextBatch = (err?: Error | null) => {
    if (!err && client._paused) {
      owed++;
      return;
    }
    next(err);
  };
  client.resume = () => {
    client._paused = false;
    // at least one, as aedes' own resume: a 'readable' seen during the pause was not acted on
    let n = Math.max(1, owed);
    owed = 0;
    while (n-- > 0) {
      if (client._paused) {
        // reading again paused it: the rest stays owed
        owed += n + 1;
        return;
      }
      next();
    }
  };
}
