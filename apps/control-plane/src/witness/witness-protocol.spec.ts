/**
 * The witness's request text (c2sp.org/tlog-witness add-checkpoint) read strictly: every way a
 * body can be wrong is a WitnessRequestError (the witness answers 400), and random bytes never
 * throw anything else.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { leafHash } from '#domain';
import { formatAddCheckpoint, MAX_PROOF_HASHES, parseAddCheckpoint, parseSizeBody, WitnessRequestError } from './witness-protocol.js';

const NOTE = 'medloop.example/custody\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n\n\u2014 medloop.example/custody SeH49A9h\n';
const H1 = leafHash('a').toString('base64');
const H2 = leafHash('b').toString('base64');

describe('add-checkpoint request', () => {
  it('reads the old size, the proof hashes and the note verbatim', () => {
    const r = parseAddCheckpoint(`old 2\n${H1}\n${H2}\n\n${NOTE}`);
    expect(r.old).toBe(2);
    expect(r.proof.map((h) => h.toString('base64'))).toEqual([H1, H2]);
    expect(r.note).toBe(NOTE);
    expect(parseAddCheckpoint(formatAddCheckpoint(r))).toEqual(r);
    // no proof (old 0, or the same size)
    expect(parseAddCheckpoint(`old 0\n\n${NOTE}`)).toEqual({ old: 0, proof: [], note: NOTE });
  });

  it.each([
    ['no empty line', `old 0\n${NOTE.replace('\n\n', '\n')}`.replace(/\n\n/g, '\n'), /no empty line/],
    ['no old line', `${H1}\n\n${NOTE}`, /old <size>/],
    ['old with a leading zero', `old 03\n\n${NOTE}`, /not a decimal/],
    ['negative old', `old -1\n\n${NOTE}`, /not a decimal/],
    ['old beyond exact counting', `old 9007199254740993\n\n${NOTE}`, /not a decimal/],
    ['old with spaces', `old  3\n\n${NOTE}`, /not a decimal/],
    ['a hash of 31 bytes', `old 2\n${Buffer.alloc(31).toString('base64')}\n\n${NOTE}`, /proof line 1/],
    ['a hash not canonical', `old 2\n${H1.slice(0, -2)}B=\n\n${NOTE}`, /proof line 1/],
    ['an empty proof line', `old 2\n${H1}\n\n\n${NOTE}`, /one empty line/],
    ['no checkpoint', `old 2\n${H1}\n\n`, /no checkpoint/],
    ['CRLF lines', `old 2\r\n${H1}\r\n\r\n${NOTE}`, /no empty line|decimal/],
    ['too many proof hashes', `old 2\n${`${H1}\n`.repeat(MAX_PROOF_HASHES + 1)}\n${NOTE}`, /more than/],
  ])('refuses %s', (_what, body, message) => {
    expect(() => parseAddCheckpoint(body)).toThrow(WitnessRequestError);
    expect(() => parseAddCheckpoint(body)).toThrow(message);
  });

  it('garbage is a WitnessRequestError or a request, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('old 1\n\n', 'old \n\nx', '\n\n\n')), (body) => {
        try {
          parseAddCheckpoint(body);
        } catch (e) {
          expect(e).toBeInstanceOf(WitnessRequestError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a 409 body: the size and a newline, nothing else', () => {
    expect(parseSizeBody('42\n')).toBe(42);
    expect(parseSizeBody('0\n')).toBe(0);
    for (const bad of ['42', '042\n', '-1\n', '4 2\n', '\n', 'x\n', '42\n\n']) expect(parseSizeBody(bad)).toBeNull();
  });
});
