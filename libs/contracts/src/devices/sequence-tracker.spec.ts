import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { classifySequence, isAccepted, isCurrent, SequenceTracker, type SequenceVerdict } from './sequence-tracker.js';

const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();

function run(seqs: Array<[number, number]>, options = {}): SequenceVerdict['kind'][] {
  const tracker = new SequenceTracker(options);
  return seqs.map(([seq, s]) => tracker.observe({ deviceId: 'D1', seq, ts: at(s) }).kind);
}

describe('SequenceTracker', () => {
  it('classifies first, new, duplicate, gap and out-of-order', () => {
    expect(
      run([
        [10, 0],
        [11, 1],
        [11, 1],
        [14, 4],
        [12, 2],
        [13, 3],
        [12, 2],
      ]),
    ).toEqual(['first', 'new', 'duplicate', 'gap', 'out_of_order', 'out_of_order', 'duplicate']);
  });

  it('reports how many messages are missing or how far behind one is', () => {
    const tracker = new SequenceTracker();
    tracker.observe({ deviceId: 'D', seq: 1, ts: at(1) });
    expect(tracker.observe({ deviceId: 'D', seq: 5, ts: at(5) })).toEqual({ kind: 'gap', missing: 3 });
    expect(tracker.observe({ deviceId: 'D', seq: 2, ts: at(2) })).toEqual({ kind: 'out_of_order', behind: 3 });
  });

  it('wraps from 2^32-1 to 0 as a plain increment', () => {
    expect(
      run([
        [0xffff_fffe, 0],
        [0xffff_ffff, 1],
        [0, 2],
        [1, 3],
      ]),
    ).toEqual(['first', 'new', 'new', 'new']);
  });

  it('recognises a restart (seq 0 or 1 with a newer ts) but not a late old message', () => {
    expect(
      run([
        [500, 10],
        [0, 20],
        [1, 21],
      ]),
    ).toEqual(['first', 'restart', 'new']);
    expect(
      run([
        [500, 10],
        [1, 20],
      ]),
    ).toEqual(['first', 'restart']);
    expect(
      run([
        [500, 10],
        [0, 5],
      ]),
    ).toEqual(['first', 'out_of_order']);
    // seq 2 after a reboot is not a restart pattern: it stays "behind" until a 0/1 arrives.
    expect(
      run([
        [500, 10],
        [2, 20],
      ]),
    ).toEqual(['first', 'out_of_order']);
  });

  it('treats a redelivered restart message as a duplicate', () => {
    expect(
      run([
        [500, 10],
        [0, 20],
        [0, 20],
      ]),
    ).toEqual(['first', 'restart', 'duplicate']);
  });

  it('keeps devices apart and can forget one', () => {
    const tracker = new SequenceTracker();
    expect(tracker.observe({ deviceId: 'A', seq: 1, ts: at(1) }).kind).toBe('first');
    expect(tracker.observe({ deviceId: 'B', seq: 1, ts: at(1) }).kind).toBe('first');
    expect(tracker.observe({ deviceId: 'A', seq: 2, ts: at(2) }).kind).toBe('new');
    tracker.forget('A');
    expect(tracker.observe({ deviceId: 'A', seq: 3, ts: at(3) }).kind).toBe('first');
    expect(tracker.size).toBe(2);
  });

  it('forgets duplicates beyond the window (then calls them out of order)', () => {
    expect(
      run(
        [
          [1, 1],
          [2, 2],
          [10, 10],
          [2, 2],
        ],
        { window: 4 },
      ),
    ).toEqual(['first', 'new', 'gap', 'out_of_order']);
  });

  it('is pure: the previous state is not mutated', () => {
    const first = classifySequence(undefined, { seq: 1, ts: at(1) });
    const frozen = JSON.stringify(first.next);
    classifySequence(first.next, { seq: 2, ts: at(2) });
    expect(JSON.stringify(first.next)).toBe(frozen);
  });

  it('drops only duplicates and lets only newest messages update current values', () => {
    expect(isAccepted({ kind: 'duplicate' })).toBe(false);
    expect(isAccepted({ kind: 'out_of_order', behind: 1 })).toBe(true);
    expect(isCurrent({ kind: 'out_of_order', behind: 1 })).toBe(false);
    expect(isCurrent({ kind: 'gap', missing: 2 })).toBe(true);
  });

  it('classifies like a plain list of the numbers seen within the window (random streams, wrap-around included)', () => {
    const M = 2 ** 32;
    /** the reference: remember every number seen, forget those more than `window` behind the newest */
    const reference = (window: number) => {
      let last: number | null = null;
      let seen: number[] = [];
      return (seq: number): string => {
        if (last === null) {
          last = seq;
          seen = [seq];
          return 'first';
        }
        const ahead = (seq - last + M) % M;
        if (ahead === 0) return 'duplicate';
        if (ahead < M / 2) {
          last = seq;
          seen = [...seen.filter((s) => (seq - s + M) % M <= window), seq];
          return ahead === 1 ? 'new' : 'gap';
        }
        if (seen.includes(seq)) return 'duplicate';
        if (M - ahead <= window) seen.push(seq);
        return 'out_of_order';
      };
    };
    fc.assert(
      fc.property(
        fc.constantFrom(4, 31, 32, 33, 63, 64, 100, 256),
        fc.constantFrom(1000, M - 40),
        // forward from the newest number (mostly by one, sometimes a gap), or a number behind it
        // (late or redelivered, inside or outside the window)
        fc.array(
          fc.oneof(
            { arbitrary: fc.constant(1), weight: 5 },
            { arbitrary: fc.integer({ min: 2, max: 300 }), weight: 1 },
            { arbitrary: fc.integer({ min: -300, max: 0 }), weight: 3 },
          ),
          { minLength: 100, maxLength: 400, size: 'max' },
        ),
        (window, start, moves) => {
          const tracker = new SequenceTracker({ window, restartMaxSeq: -1 });
          const model = reference(window);
          let newest = start;
          for (const move of moves) {
            if (move > 0) newest = (newest + move) % M;
            const seq = move > 0 ? newest : (newest + move + M) % M;
            // the same instant throughout: a low number never reads as a restart
            expect(tracker.observe({ deviceId: 'D', seq, ts: at(0) }).kind).toBe(model(seq));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
