/**
 * The custody Merkle tree alone (libs/domain/src/audit/merkle.ts), in-process: leaf hashing,
 * building the tree from N leaf hashes (what a restart does), the root, inclusion and
 * consistency proofs at the full size, and verifying them, with heap and RSS growth. Each
 * stride is measured in the same run as stride 1 (every level kept), the memory reference.
 * Prints only; not in run-all yet.
 *
 *   node dist/bench/merkle.js [--smoke] [--leaves=1000000] [--proofs=2000] [--strides=1,4,8]
 */
import { leafHash, MerkleTree, verifyConsistency, verifyInclusion } from '../libs/domain/src/audit/merkle.js';
import { num, parseArgs, str } from './lib/args.js';
import { summarize } from './lib/stats.js';
import { printTable, type Row } from './lib/table.js';

const args = parseArgs();
const P = {
  leaves: num(args, 'leaves', 1_000_000, 50_000),
  proofs: num(args, 'proofs', 2_000, 200),
  strides: str(args, 'strides', '1,4,8').split(',').map(Number),
};

const ms = (t0: number): number => performance.now() - t0;
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;

// custody-event-sized leaf inputs (~300 bytes of canonical JSON), hashed once and shared
let t0 = performance.now();
const hashes: Buffer[] = [];
for (let i = 0; i < P.leaves; i++) {
  hashes.push(leafHash(`{"action":"administered","actor":"nurse.${i % 97}","at":"2026-11-26T10:00:00.000Z","doseId":"dose-${i}","seq":${i + 1},"ward":"W3"}`));
}
const leafMs = ms(t0);
console.log(`hashed ${P.leaves.toLocaleString('en-US')} leaves in ${Math.round(leafMs)} ms`);

const rows: Row[] = [];
for (const stride of P.strides) {
  gc?.();
  const heap0 = process.memoryUsage();
  t0 = performance.now();
  const tree = MerkleTree.fromLeafHashes(hashes, { stride });
  const buildMs = ms(t0);
  t0 = performance.now();
  const root = tree.root();
  const rootMs = ms(t0);
  gc?.();
  const heap1 = process.memoryUsage();

  const n = tree.size;
  const inclusion: number[] = [];
  const consistency: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i < P.proofs; i++) {
    const index = Math.floor((i * 7919) % n);
    let t = performance.now();
    const proof = tree.inclusionProof(index);
    inclusion.push(ms(t));
    t = performance.now();
    if (!verifyInclusion(hashes[index]!, index, n, proof, root).ok) throw new Error(`inclusion proof ${index} did not verify`);
    verify.push(ms(t));
    const old = 1 + ((i * 104729) % (n - 1));
    t = performance.now();
    const cp = tree.consistencyProof(old);
    consistency.push(ms(t));
    if (!verifyConsistency(old, n, tree.root(old), root, cp).ok) throw new Error(`consistency proof ${old}→${n} did not verify`);
  }
  rows.push({
    stride,
    leaves: n,
    'build ms': Math.round(buildMs),
    'root ms': rootMs,
    'tree heap MiB': gc ? mib(heap1.heapUsed + heap1.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers) : null,
    'rss growth MiB': mib(heap1.rss - heap0.rss),
    'inclusion p50 ms': summarize(inclusion).p50,
    'inclusion p99 ms': summarize(inclusion).p99,
    'consistency p50 ms': summarize(consistency).p50,
    'consistency p99 ms': summarize(consistency).p99,
    'verify p50 ms': summarize(verify).p50,
  });
}
printTable(
  `Merkle tree, ${P.leaves.toLocaleString('en-US')} leaves (leaf hashing ${Math.round(leafMs)} ms)${gc ? '' : ' — run with --expose-gc for heap figures'}`,
  rows,
);
