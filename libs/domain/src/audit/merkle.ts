/**
 * The custody log as an append-only Merkle tree in the shape of RFC 9162 (Certificate
 * Transparency 2.0, same hashing as RFC 6962): every custody event is a leaf, and the tree
 * head at a size is what a signed checkpoint commits to. This module owns the hashing rule
 * (§2.1.1), the tree head MTH, inclusion paths (PATH, §2.1.3.1) and consistency proofs
 * (PROOF / SUBPROOF, §2.1.4.1), and their verification (§2.1.3.2, §2.1.4.2). Pure: node:crypto,
 * no I/O. An auditor's verifier needs only the `verify*` functions and the signed root.
 *
 * Why a tree next to the hash chain: the chain proves the order of what is in the database,
 * but anyone who can rewrite the database can rewrite the whole chain consistently. A tree
 * head signed and held elsewhere (a witness) cannot be rewritten, and the tree, unlike the
 * chain, gives short proofs: that one dose's event is in the signed log (log2 n hashes), and
 * that a newer signed head extends an older one rather than forking it.
 */
import * as nodeCrypto from 'node:crypto';

/** SHA-256 output length: every leaf hash, node hash, root and proof element has it. */
export const HASH_SIZE = 32;

/**
 * One-shot hashing (crypto.hash, Node ≥ 20.12) is about 40% faster than createHash for the
 * 65-byte node inputs that dominate building a tree; older Node 20 lines fall back.
 */
const sha256: (data: Uint8Array) => Buffer =
  typeof nodeCrypto.hash === 'function' ? (data) => nodeCrypto.hash('sha256', data, 'buffer') : (data) => nodeCrypto.createHash('sha256').update(data).digest();

// §2.1.1: the 0x00 / 0x01 prefixes keep a leaf from ever being read as an inner node (the
// second-preimage attack on plain Merkle trees).
const NODE_INPUT = Buffer.alloc(1 + 2 * HASH_SIZE);
NODE_INPUT[0] = 0x01;

/** MTH({}) = SHA-256 of the empty string. A fresh copy each call: Buffers cannot be frozen. */
export function emptyRoot(): Buffer {
  return sha256(new Uint8Array(0));
}

/** MTH({d}) = SHA-256(0x00 || d). A string is hashed as its UTF-8 bytes. */
export function leafHash(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const input = Buffer.allocUnsafe(1 + bytes.length);
  input[0] = 0x00;
  input.set(bytes, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right): the hash of an inner node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) throw new RangeError(`node children must be ${HASH_SIZE}-byte hashes`);
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_SIZE);
  return sha256(NODE_INPUT);
}

/** The largest power of two smaller than n (n ≥ 2): where RFC 9162 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number): boolean => n >= 1 && splitPoint(n + 1) === n;

function exponentOf(powerOfTwo: number): number {
  let e = 0;
  for (let p = 1; p < powerOfTwo; p *= 2) e++;
  return e;
}

// Sizes and indexes are plain numbers; right shifts are divisions because JavaScript's `>>`
// truncates to 32 bits and a log may outgrow that.
const half = (x: number): number => Math.floor(x / 2);
const odd = (x: number): boolean => x % 2 === 1;
const isSize = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Hashes in one growing allocation per CHUNK, not one Buffer (≈100 bytes overhead) per hash. */
const CHUNK = 4096;

class HashColumn {
  private readonly chunks: Buffer[] = [];
  length = 0;

  push(hash: Uint8Array): void {
    const slot = this.length % CHUNK;
    if (slot === 0) this.chunks.push(Buffer.allocUnsafe(CHUNK * HASH_SIZE));
    this.chunks[this.chunks.length - 1]!.set(hash, slot * HASH_SIZE);
    this.length++;
  }

  /** A view into the column: callers that hand it out must copy it. */
  at(i: number): Buffer {
    const offset = (i % CHUNK) * HASH_SIZE;
    return this.chunks[Math.floor(i / CHUNK)]!.subarray(offset, offset + HASH_SIZE);
  }
}

export interface MerkleTreeOptions {
  /**
   * Complete subtree hashes are kept every `stride` levels (leaves are level 0), so a node at
   * any level is at most 2^stride − 1 hashes away. 4 costs ~7% memory over the leaves alone and
   * keeps a proof in a 1M-leaf tree to a few hundred hashes; 1 keeps every level (2× memory).
   */
  readonly stride?: number;
}

/**
 * The server side: an append-only tree over leaf hashes that answers the root at any size it
 * has reached, inclusion proofs and consistency proofs without recomputing the tree. Appending
 * costs one node hash per leaf (amortised); a proof costs O(log² n) node lookups, each at most
 * 2^stride − 1 hashes. Memory: 32 bytes per leaf, plus 32/(2^stride − 1) for the kept nodes.
 *
 * It is a cache: everything in it derives from the leaf hashes, which is what the caller must
 * persist (or recompute from the events) to rebuild it at boot.
 */
export class MerkleTree {
  private readonly stride: number;
  /** levels[j] holds the complete subtree hashes of level j × stride, left to right. */
  private readonly levels: HashColumn[] = [new HashColumn()];

  constructor(options: MerkleTreeOptions = {}) {
    const stride = options.stride ?? 4;
    if (!Number.isInteger(stride) || stride < 1 || stride > 16) throw new RangeError('stride must be an integer from 1 to 16');
    this.stride = stride;
  }

  static fromLeafHashes(hashes: Iterable<Uint8Array>, options?: MerkleTreeOptions): MerkleTree {
    const tree = new MerkleTree(options);
    for (const h of hashes) tree.append(h);
    return tree;
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends one leaf hash (see leafHash) and returns its index. */
  append(hash: Uint8Array): number {
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) throw new RangeError(`a leaf hash must be ${HASH_SIZE} bytes`);
    this.levels[0]!.push(hash);
    const n = this.size;
    const width = 2 ** this.stride;
    // n completes a subtree at kept level j × stride exactly when 2^(j × stride) divides n; its
    // children at the kept level below are complete already (they were added first, or now).
    for (let j = 1, span = width; n % span === 0; j++, span *= width) {
      const column = this.levels[j] ?? (this.levels[j] = new HashColumn());
      column.push(this.perfect(j - 1, (n / span - 1) * width, width));
    }
    return n - 1;
  }

  /** The leaf hash at `index`. */
  leaf(index: number): Buffer {
    this.assertRange(index, 0, this.size - 1, 'index');
    return Buffer.from(this.levels[0]!.at(index));
  }

  /** MTH(D[0:size]): the tree head a checkpoint of that size signs. */
  root(size: number = this.size): Buffer {
    this.assertRange(size, 0, this.size, 'size');
    return Buffer.from(this.mth(0, size));
  }

  /** PATH(index, D[0:size]), deepest sibling first (RFC 9162 §2.1.3.1). */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    this.assertRange(size, 1, this.size, 'size');
    this.assertRange(index, 0, size - 1, 'index');
    const out: Buffer[] = [];
    this.path(index, 0, size, out);
    return out.map((h) => Buffer.from(h));
  }

  /** PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1); empty when size1 is 0 or equals size2. */
  consistencyProof(size1: number, size2: number = this.size): Buffer[] {
    this.assertRange(size2, 0, this.size, 'size2');
    this.assertRange(size1, 0, size2, 'size1');
    const out: Buffer[] = [];
    if (size1 > 0 && size1 < size2) this.subproof(size1, 0, size2, true, out);
    return out.map((h) => Buffer.from(h));
  }

  private assertRange(x: number, min: number, max: number, name: string): void {
    if (!Number.isSafeInteger(x) || x < min || x > max) {
      throw new RangeError(max < min ? `${name} ${x}: the tree has no leaves` : `${name} ${x} is outside ${min}..${max} (tree size ${this.size})`);
    }
  }

  /** The hash of the `count` (a power of two) consecutive nodes of kept level j from `first`. */
  private perfect(j: number, first: number, count: number): Buffer {
    const column = this.levels[j]!;
    if (count === 1) return column.at(first);
    let row: Buffer[] = [];
    for (let i = 0; i < count; i += 2) row.push(nodeHash(column.at(first + i), column.at(first + i + 1)));
    while (row.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!));
      row = next;
    }
    return row[0]!;
  }

  /** The complete subtree of 2^level leaves starting at leaf index × 2^level. */
  private node(level: number, index: number): Buffer {
    const j = Math.floor(level / this.stride);
    const count = 2 ** (level - j * this.stride);
    return this.perfect(j, index * count, count);
  }

  /** MTH(D[start:end]) by the RFC's recursion, with complete aligned subtrees looked up. */
  private mth(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return emptyRoot();
    if (isPowerOfTwo(n) && start % n === 0) return this.node(exponentOf(n), start / n);
    const k = splitPoint(n);
    return nodeHash(this.mth(start, start + k), this.mth(start + k, end));
  }

  private path(m: number, start: number, end: number, out: Buffer[]): void {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.path(m, start, start + k, out);
      out.push(this.mth(start + k, end));
    } else {
      this.path(m - k, start + k, end, out);
      out.push(this.mth(start, start + k));
    }
  }

  private subproof(m: number, start: number, end: number, complete: boolean, out: Buffer[]): void {
    const n = end - start;
    if (m === n) {
      // the old tree is this whole subtree: the verifier knows its root already when it is the
      // old tree's own head (complete), and needs it otherwise
      if (!complete) out.push(this.mth(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, start + k, complete, out);
      out.push(this.mth(start + k, end));
    } else {
      this.subproof(m - k, start + k, end, false, out);
      out.push(this.mth(start, start + k));
    }
  }
}

export type ProofFailure =
  /** a size or index that is not a non-negative safe integer, or an old size above the new one */
  | 'bad_size'
  | 'index_out_of_range'
  /** a leaf, root or proof element that is not 32 bytes */
  | 'malformed_hash'
  /** more proof elements than the sizes allow */
  | 'proof_too_long'
  /** fewer proof elements than the sizes need */
  | 'proof_too_short'
  /** a proof given where none can exist (equal sizes, or an empty old tree) */
  | 'proof_not_empty'
  /** the proof leads to another root: the leaf is not in that tree, or the trees fork */
  | 'root_mismatch';

export type ProofVerdict = { ok: true } | { ok: false; reason: ProofFailure; detail: string };

const OK: ProofVerdict = { ok: true };
const fail = (reason: ProofFailure, detail: string): ProofVerdict => ({ ok: false, reason, detail });

function badHash(hashes: readonly Uint8Array[], what: string): ProofVerdict | null {
  const i = hashes.findIndex((h) => !(h instanceof Uint8Array) || h.length !== HASH_SIZE);
  return i < 0 ? null : fail('malformed_hash', `${what}${hashes.length > 1 ? ` [${i}]` : ''} is not a ${HASH_SIZE}-byte hash`);
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show the leaf with hash `hash` at `index` in the tree of
 * `treeSize` leaves whose head is `root`? Needs nothing but the arguments.
 */
export function verifyInclusion(hash: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): ProofVerdict {
  if (!isSize(index) || !isSize(treeSize)) return fail('bad_size', 'index and tree size must be non-negative integers');
  if (index >= treeSize) return fail('index_out_of_range', `leaf ${index} is not in a tree of ${treeSize} leaves`);
  const malformed = badHash([hash], 'the leaf hash') ?? badHash([root], 'the root') ?? badHash(proof, 'proof element');
  if (malformed) return malformed;
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = hash;
  for (const p of proof) {
    if (sn === 0) return fail('proof_too_long', `${proof.length} proof elements are more than leaf ${index} of ${treeSize} needs`);
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('proof_too_short', `${proof.length} proof elements are fewer than leaf ${index} of ${treeSize} needs`);
  if (!Buffer.from(r).equals(root)) return fail('root_mismatch', `the proof for leaf ${index} leads to another root than the tree of ${treeSize}'s`);
  return OK;
}

/**
 * RFC 9162 §2.1.4.2: is the tree of `size2` leaves with head `root2` an append-only extension
 * of the tree of `size1` leaves with head `root1`? The sizes with nothing to prove (equal, or
 * an empty old tree) need an empty proof and agreeing roots; the RFC leaves them to the caller.
 */
export function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): ProofVerdict {
  if (!isSize(size1) || !isSize(size2)) return fail('bad_size', 'tree sizes must be non-negative integers');
  if (size1 > size2) return fail('bad_size', `a log does not shrink: ${size1} leaves cannot grow into ${size2}`);
  const malformed = badHash([root1], 'the old root') ?? badHash([root2], 'the new root') ?? badHash(proof, 'proof element');
  if (malformed) return malformed;
  if (size1 === size2 || size1 === 0) {
    if (proof.length > 0) return fail('proof_not_empty', `a consistency proof from ${size1} to ${size2} leaves is empty`);
    if (size1 === 0) {
      // any tree extends the empty one, whose only head is MTH({})
      return Buffer.from(root1).equals(emptyRoot()) ? OK : fail('root_mismatch', 'the old root is not the head of an empty tree');
    }
    return Buffer.from(root1).equals(root2) ? OK : fail('root_mismatch', `two heads for the same ${size1} leaves: the log forked`);
  }
  if (proof.length === 0) return fail('proof_too_short', `a consistency proof from ${size1} to ${size2} leaves cannot be empty`);
  // step 2: when the old tree is a complete subtree its head is the proof's implied first node
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return fail('proof_too_long', `${proof.length} proof elements are more than a proof from ${size1} to ${size2} leaves needs`);
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('proof_too_short', `${proof.length} proof elements are fewer than a proof from ${size1} to ${size2} leaves needs`);
  if (!Buffer.from(fr).equals(root1)) {
    return fail('root_mismatch', `the proof does not lead to the old root: the first ${size1} leaves of the ${size2}-leaf tree differ from the signed ones`);
  }
  if (!Buffer.from(sr).equals(root2)) return fail('root_mismatch', `the proof does not lead to the new root of ${size2} leaves`);
  return OK;
}
