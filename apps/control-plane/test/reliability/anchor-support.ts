/**
 * What the anchor's reliability specs share (audit-anchor, dose-proof, witness, backup-restore):
 * the anchor's health, waiting until every event is signed, the consistent rewrite of the
 * report (rehash to the end and move the head), and running a built command as a process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { chainHash } from '#domain';
import { CustodyChainHeadEntity, CustodyEventEntity } from '#persistence';
import { eventContent } from '../../src/custody/chain-verify.js';
import type { TestApp } from '../support/test-app.js';
import { sleep } from './support.js';

export interface AnchorHealthView {
  /** the /health answer's status */
  http: number;
  status: string;
  treeSize: number;
  signedSize: number;
  unsignedEvents: number;
  reason?: string;
  witnesses?: { url: string; status: string; size: number | null; lastOkAt: string | null; failures: number; error?: string }[];
}

export async function anchorHealth(t: TestApp): Promise<AnchorHealthView> {
  const r = await t.api('GET', '/health');
  return { http: r.status, ...(r.body.checks.anchor as Omit<AnchorHealthView, 'http'>) };
}

/** Waits (bounded) until the anchor is up and every custody event is covered by a checkpoint. */
export async function allSigned(t: TestApp): Promise<AnchorHealthView> {
  for (let i = 0; i < 100; i++) {
    const a = await anchorHealth(t);
    if (a.status === 'up' && a.treeSize > 0 && a.unsignedEvents === 0) return a;
    await sleep(100);
  }
  throw new Error(`not every custody event was signed: ${JSON.stringify(await anchorHealth(t))}`);
}

/** The consistent rewrite of the report: rehash every event from `fromSeq` on and move the head (the guard must be off). */
export async function rehashFrom(ds: DataSource, fromSeq: number): Promise<void> {
  const events = await ds.getRepository(CustodyEventEntity).find({ order: { seq: 'ASC' } });
  let prev = events.find((e) => e.seq === fromSeq - 1)?.hash ?? '0'.repeat(64);
  for (const e of events.filter((x) => x.seq >= fromSeq)) {
    const hash = chainHash(prev, eventContent(e));
    await ds.createQueryBuilder().update(CustodyEventEntity).set({ prevHash: prev, hash }).where('seq = :seq', { seq: e.seq }).execute();
    prev = hash;
  }
  await ds
    .createQueryBuilder()
    .update(CustodyChainHeadEntity)
    .set({ seq: events[events.length - 1]!.seq, hash: prev })
    .execute();
}

export type Run = { code: number | null; stdout: string; stderr: string };

/** Runs a built script with node, no environment but PATH and `env`, killed after a minute. */
export function runNode(script: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  const child = spawn(process.execPath, [script, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env['PATH'] ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
