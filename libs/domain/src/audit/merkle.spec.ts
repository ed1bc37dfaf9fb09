import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { emptyRoot, leafHash, MerkleTree, nodeHash, splitPoint, verifyConsistency, verifyInclusion } from './merkle.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hx = (s: string): Buffer => Buffer.from(s, 'hex');

/*
 * Test vectors of the Certificate Transparency reference trees, as published in
 * transparency-dev/merkle (the library Trillian and the Go CT logs use):
 * testonly/constants.go (LeafInputs, RootHashes) and proof/verify_test.go (inclusionProofs,
 * consistencyProofs; that file numbers leaves from 1, the indexes below are 0-based).
 */
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hx);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION = [
  { index: 0, size: 1, proof: [] as string[] },
  { index: 0, size: 2, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7'] },
  { index: 1, size: 2, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CONSISTENCY = [
  { size1: 1, size2: 1, proof: [] as string[] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

/** RFC 9162 §2.1 written out literally over an array of leaf hashes: the oracle for the fast tree. */
const ref = {
  mth(d: readonly Buffer[]): Buffer {
    if (d.length === 0) return emptyRoot();
    if (d.length === 1) return d[0]!;
    const k = splitPoint(d.length);
    return nodeHash(ref.mth(d.slice(0, k)), ref.mth(d.slice(k)));
  },
  path(m: number, d: readonly Buffer[]): Buffer[] {
    if (d.length === 1) return [];
    const k = splitPoint(d.length);
    return m < k ? [...ref.path(m, d.slice(0, k)), ref.mth(d.slice(k))] : [...ref.path(m - k, d.slice(k)), ref.mth(d.slice(0, k))];
  },
  subproof(m: number, d: readonly Buffer[], b: boolean): Buffer[] {
    if (m === d.length) return b ? [] : [ref.mth(d)];
    const k = splitPoint(d.length);
    return m <= k ? [...ref.subproof(m, d.slice(0, k), b), ref.mth(d.slice(k))] : [...ref.subproof(m - k, d.slice(k), false), ref.mth(d.slice(0, k))];
  },
};

const syntheticLeaves = (n: number, salt = ''): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(`${salt}event ${i}`));
const flip = (b: Buffer, byte: number, mask = 0x01): Buffer => {
  const c = Buffer.from(b);
  c[byte] = c[byte]! ^ mask;
  return c;
};

describe('RFC 6962 / 9162 hashing', () => {
  it('hashes the empty tree, leaves and nodes with their prefixes', () => {
    expect(hex(emptyRoot())).toBe(ROOTS[0]);
    expect(hex(leafHash(LEAVES[0]!))).toBe(ROOTS[1]);
    expect(hex(nodeHash(leafHash(LEAVES[0]!), leafHash(LEAVES[1]!)))).toBe(ROOTS[2]);
    expect(hex(leafHash('abc'))).toBe(hex(leafHash(Buffer.from('abc'))));
    expect(() => nodeHash(Buffer.alloc(31), Buffer.alloc(32))).toThrow(RangeError);
  });

  it('splits at the largest power of two below n', () => {
    expect([2, 3, 4, 5, 8, 9, 1 << 20, (1 << 20) + 1].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 1 << 19, 1 << 20]);
    expect(splitPoint(2 ** 40 + 1)).toBe(2 ** 40);
  });
});

describe('MerkleTree against the CT reference vectors', () => {
  const tree = MerkleTree.fromLeafHashes(LEAVES.map((l) => leafHash(l)));

  it.each(ROOTS.map((root, size) => ({ size, root })))('MTH(D[$size]) = $root', ({ size, root }) => {
    expect(hex(tree.root(size))).toBe(root);
  });

  it.each(INCLUSION)('PATH($index, D[$size])', ({ index, size, proof }) => {
    const got = tree.inclusionProof(index, size);
    expect(got.map(hex)).toEqual(proof);
    expect(verifyInclusion(leafHash(LEAVES[index]!), index, size, got, hx(ROOTS[size]!))).toEqual({ ok: true });
  });

  it.each(CONSISTENCY)('PROOF($size1, D[$size2])', ({ size1, size2, proof }) => {
    const got = tree.consistencyProof(size1, size2);
    expect(got.map(hex)).toEqual(proof);
    expect(verifyConsistency(size1, size2, hx(ROOTS[size1]!), hx(ROOTS[size2]!), got)).toEqual({ ok: true });
  });

  it('refuses the corruptions transparency-dev probes, each with its reason', () => {
    // the probes of transparency-dev/merkle proof/verify_test.go corruptInclusionProof, for leaf 5 of 8
    const leaf = leafHash(LEAVES[5]!);
    const root = hx(ROOTS[8]!);
    const proof = tree.inclusionProof(5, 8);
    const some = hx('abacaba000000000000000000000000000000000000000000060061e00123456');
    const probes: [string, ReturnType<typeof verifyInclusion>['ok'] | string][] = [
      ['index - 1', verifyInclusion(leaf, 4, 8, proof, root).ok],
      ['index + 1', verifyInclusion(leaf, 6, 8, proof, root).ok],
      ['index ^ 2', verifyInclusion(leaf, 7, 8, proof, root).ok],
      ['size * 2', verifyInclusion(leaf, 5, 16, proof, root).ok],
      ['size / 2', verifyInclusion(leaf, 5, 4, proof, root).ok],
      ['wrong leaf', verifyInclusion(leafHash('WrongLeaf'), 5, 8, proof, root).ok],
      ['empty root', verifyInclusion(leaf, 5, 8, proof, emptyRoot()).ok],
      ['random root', verifyInclusion(leaf, 5, 8, proof, some).ok],
      ['trailing root', verifyInclusion(leaf, 5, 8, [...proof, root], root).ok],
      ['preceding root', verifyInclusion(leaf, 5, 8, [root, ...proof], root).ok],
      ['removed component', verifyInclusion(leaf, 5, 8, proof.slice(0, -1), root).ok],
      ['inserted component', verifyInclusion(leaf, 5, 8, [proof[0]!, some, ...proof.slice(1)], root).ok],
    ];
    expect(probes.filter(([, ok]) => ok !== false)).toEqual([]);
    expect(verifyInclusion(leaf, 5, 8, [...proof, root], root)).toMatchObject({ ok: false, reason: 'proof_too_long' });
    expect(verifyInclusion(leaf, 5, 8, proof.slice(0, -1), root)).toMatchObject({ ok: false, reason: 'proof_too_short' });
    expect(verifyInclusion(leaf, 5, 8, [...proof, Buffer.alloc(0)], root)).toMatchObject({ ok: false, reason: 'malformed_hash' });
    expect(verifyInclusion(leaf, 8, 8, proof, root)).toMatchObject({ ok: false, reason: 'index_out_of_range' });
    expect(verifyInclusion(leaf, -1, 8, proof, root)).toMatchObject({ ok: false, reason: 'bad_size' });
    expect(verifyInclusion(leafHash('WrongLeaf'), 5, 8, proof, root)).toMatchObject({ ok: false, reason: 'root_mismatch' });
  });

  it('refuses corrupted consistency proofs and handles the sizes with nothing to prove', () => {
    const [r6, r8] = [hx(ROOTS[6]!), hx(ROOTS[8]!)];
    const proof = tree.consistencyProof(6, 8);
    const bad = [
      verifyConsistency(5, 8, r6, r8, proof),
      verifyConsistency(7, 8, r6, r8, proof),
      verifyConsistency(6, 16, r6, r8, proof),
      verifyConsistency(6, 4, r6, r8, proof),
      verifyConsistency(6, 8, r8, r6, proof),
      verifyConsistency(6, 8, r6, r8, []),
      verifyConsistency(6, 8, r6, r8, [...proof, r6]),
      verifyConsistency(6, 8, r6, r8, [proof[0]!, ...proof]),
      verifyConsistency(6, 8, r6, r8, proof.slice(0, -1)),
      ...proof.map((_, i) =>
        verifyConsistency(
          6,
          8,
          r6,
          r8,
          proof.map((p, j) => (i === j ? flip(p, 0, 16) : p)),
        ),
      ),
    ];
    expect(bad.filter((v) => v.ok)).toEqual([]);
    expect(verifyConsistency(6, 4, r6, r8, proof)).toMatchObject({ reason: 'bad_size' });
    expect(verifyConsistency(6, 8, r6, r8, [])).toMatchObject({ reason: 'proof_too_short' });
    expect(verifyConsistency(6, 8, r6, r8, [...proof, r6])).toMatchObject({ reason: 'proof_too_long' });

    expect(verifyConsistency(0, 0, emptyRoot(), emptyRoot(), [])).toEqual({ ok: true });
    expect(verifyConsistency(0, 8, emptyRoot(), r8, [])).toEqual({ ok: true });
    expect(verifyConsistency(0, 8, r6, r8, [])).toMatchObject({ reason: 'root_mismatch' });
    expect(verifyConsistency(8, 8, r8, r8, [])).toEqual({ ok: true });
    expect(verifyConsistency(8, 8, r8, r6, [])).toMatchObject({ reason: 'root_mismatch' });
    expect(verifyConsistency(8, 8, r8, r8, [r8])).toMatchObject({ reason: 'proof_not_empty' });
  });

  it('refuses sizes and indexes outside the tree', () => {
    expect(() => tree.root(9)).toThrow(RangeError);
    expect(() => tree.inclusionProof(8, 8)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 0)).toThrow(RangeError);
    expect(() => tree.consistencyProof(5, 4)).toThrow(RangeError);
    expect(() => tree.append(Buffer.alloc(16))).toThrow(RangeError);
    expect(() => new MerkleTree().leaf(0)).toThrow(/no leaves/);
  });

  it('hands out copies: mutating a returned hash does not change the tree', () => {
    const t = MerkleTree.fromLeafHashes(LEAVES.map((l) => leafHash(l)));
    t.leaf(0).fill(0);
    t.root(1).fill(0);
    t.inclusionProof(0, 8)[0]!.fill(0);
    expect(hex(t.root(8))).toBe(ROOTS[8]);
    expect(hex(t.root(1))).toBe(ROOTS[1]);
  });
});

describe('MerkleTree equals the literal RFC recursion', () => {
  const leaves = syntheticLeaves(40);

  it.each([1, 2, 3, 4, 8])('at every size ≤ 40 and every index (stride %i)', (stride) => {
    const tree = new MerkleTree({ stride });
    for (let n = 1; n <= leaves.length; n++) {
      tree.append(leaves[n - 1]!);
      const d = leaves.slice(0, n);
      expect(hex(tree.root())).toBe(hex(ref.mth(d)));
      for (let m = 0; m < n; m++) expect(tree.inclusionProof(m).map(hex)).toEqual(ref.path(m, d).map(hex));
      for (let m = 1; m < n; m++) expect(tree.consistencyProof(m).map(hex)).toEqual(ref.subproof(m, d, true).map(hex));
    }
  });

  it.each([2, 4])('answers older sizes from a grown tree, across the kept levels (stride %i)', (stride) => {
    const many = syntheticLeaves(600, 'g');
    const tree = MerkleTree.fromLeafHashes(many, { stride });
    for (const n of [1, 15, 16, 17, 255, 256, 257, 511, 512, 513, 600]) {
      const d = many.slice(0, n);
      expect(hex(tree.root(n))).toBe(hex(ref.mth(d)));
      expect(tree.inclusionProof(n - 1, n).map(hex)).toEqual(ref.path(n - 1, d).map(hex));
      expect(tree.consistencyProof(Math.ceil(n / 3), n).map(hex)).toEqual(ref.subproof(Math.ceil(n / 3), d, true).map(hex));
    }
  });
});

describe('proof properties', () => {
  const leaves = syntheticLeaves(300, 'p');
  const tree = MerkleTree.fromLeafHashes(leaves);

  it('every inclusion proof verifies, and altering any byte of proof, leaf or root fails', () => {
    const sizeAndIndex = fc.integer({ min: 1, max: leaves.length }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 255 }), ([size, index], pick, byte, mask) => {
        const proof = tree.inclusionProof(index, size);
        const root = tree.root(size);
        const leaf = leaves[index]!;
        if (!verifyInclusion(leaf, index, size, proof, root).ok) return false;
        if (verifyInclusion(flip(leaf, byte, mask), index, size, proof, root).ok) return false;
        if (verifyInclusion(leaf, index, size, proof, flip(root, byte, mask)).ok) return false;
        if (proof.length === 0) return true;
        const at = pick % proof.length;
        return !verifyInclusion(
          leaf,
          index,
          size,
          proof.map((p, i) => (i === at ? flip(p, byte, mask) : p)),
          root,
        ).ok;
      }),
      { numRuns: 500 },
    );
  });

  it('consistency proofs verify for every 1 ≤ m ≤ n ≤ 64 and fail once the tree forks', () => {
    const failures: string[] = [];
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m <= n; m++) {
        const v = verifyConsistency(m, n, tree.root(m), tree.root(n), tree.consistencyProof(m, n));
        if (!v.ok) failures.push(`${m}→${n}: ${v.detail}`);
      }
    }
    expect(failures).toEqual([]);

    // a fork: the same log with leaf j rewritten, then grown; the witness holds the old head
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }).chain((m) => fc.tuple(fc.constant(m), fc.integer({ min: m, max: 64 }), fc.integer({ min: 0, max: m - 1 }))),
        ([m, n, j]) => {
          const forked = MerkleTree.fromLeafHashes(leaves.slice(0, n).map((l, i) => (i === j ? leafHash('rewritten') : l)));
          const v = verifyConsistency(m, n, tree.root(m), forked.root(n), forked.consistencyProof(m, n));
          const honestProof = verifyConsistency(m, n, tree.root(m), forked.root(n), tree.consistencyProof(m, n));
          return !v.ok && v.reason === 'root_mismatch' && !honestProof.ok;
        },
      ),
      { numRuns: 300 },
    );
  });
});
