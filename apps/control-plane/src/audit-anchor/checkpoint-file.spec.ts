/**
 * The checkpoint file as CHECKPOINTS.md describes it: its worked example is parsed and verified
 * here with the example's verifier key, so the document cannot drift from the code; and a file
 * torn by a crash keeps its good records, the torn one reported apart, the next write after it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { generateNoteKey, leafHash, MerkleTree, openCheckpoint, parseVerifierKey, signCheckpoint } from '#domain';
import { parseVerifierKeyList } from './anchor-keys.js';
import { appendCheckpoint, parseCheckpointFile } from './checkpoint-file.js';

const doc = readFileSync(new URL('./CHECKPOINTS.md', import.meta.url), 'utf8');
const block = (lang: string) => {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc);
  if (!m) throw new Error(`CHECKPOINTS.md has no ${lang} block`);
  return m[1]!;
};

describe('the checkpoint file', () => {
  it('reads the example of CHECKPOINTS.md: two checkpoints that open with its verifier key and sign its tree', () => {
    const file = parseCheckpointFile(block('checkpoint-file'));
    expect(file.tornTail).toBeNull();
    expect(file.stray).toEqual([]);
    expect(file.notes).toHaveLength(2);
    const [key] = parseVerifierKeyList(block('verifier-keys'));
    const vkey = parseVerifierKey(key!.verifierKey);
    const tree = new MerkleTree();
    for (const x of ['a', 'b', 'c', 'd', 'e']) tree.append(leafHash(x));
    for (const note of file.notes) {
      const opened = openCheckpoint(note, [vkey], { origin: 'medloop.example/custody' });
      expect(opened.ok).toBe(true);
      if (!opened.ok) return;
      expect(opened.checkpoint.rootHash.equals(tree.root(opened.checkpoint.treeSize))).toBe(true);
    }
  });

  it('keeps the good records of a file torn by a crash, and the next record starts after the torn one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medloop-cpfile-'));
    try {
      const f = join(dir, 'custody.log');
      const key = generateNoteKey('medloop.t/custody');
      const note = (n: number) => signCheckpoint({ origin: 'medloop.t/custody', treeSize: n, rootHash: Buffer.alloc(32, n), time: new Date(0) }, key);
      await appendCheckpoint(f, note(1));
      await appendCheckpoint(f, note(2));
      // a third write cut short mid-signature
      const third = note(3);
      writeFileSync(f, readFileSync(f, 'utf8') + third.slice(0, third.length - 20), { flag: 'w' });
      const torn = parseCheckpointFile(readFileSync(f, 'utf8'));
      expect(torn.notes).toEqual([note(1), note(2)]);
      expect(torn.tornTail).not.toBeNull();
      await appendCheckpoint(f, note(4), { afterTornTail: true });
      const after = parseCheckpointFile(readFileSync(f, 'utf8'));
      expect(after.notes.at(-1)).toBe(note(4));
      expect(after.notes).toContain(note(2));
      expect(after.tornTail).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
