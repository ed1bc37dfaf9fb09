/**
 * Benchmark results: every run records the machine (CPU model, cores, memory, Node), the git
 * commit and the parameters next to its figures, and is saved as JSON and Markdown under
 * bench/results/ (`<scenario>[-smoke].json|md`, overwritten by the next run of the same mode).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, type Row } from './table.js';
import { openFilesLimit } from './proc.js';

/** The repository root: the first directory above this file holding a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function resultsDir(): string {
  return join(repoRoot(), 'bench', 'results');
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
  loadAvg1m: number;
  openFilesLimit: { soft: number; hard: number } | null;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  const limit = openFilesLimit();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()}`,
    loadAvg1m: Math.round(loadavg()[0]! * 100) / 100,
    // JSON cannot hold Infinity
    openFilesLimit: limit && { soft: Number.isFinite(limit.soft) ? limit.soft : -1, hard: Number.isFinite(limit.hard) ? limit.hard : -1 },
  };
}

export interface GitInfo {
  commit: string | null;
  branch: string | null;
  /** uncommitted changes in the working tree when the benchmark ran */
  dirty: boolean | null;
}

export function gitInfo(): GitInfo {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const status = git('status', '--porcelain', '--untracked-files=no');
  return { commit: git('rev-parse', 'HEAD'), branch: git('rev-parse', '--abbrev-ref', 'HEAD'), dirty: status === null ? null : status.length > 0 };
}

export interface ResultTable {
  title: string;
  rows: Row[];
  columns?: string[];
}

export interface BenchResult {
  scenario: string;
  title: string;
  mode: 'full' | 'smoke';
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  git: GitInfo;
  params: Record<string, unknown>;
  tables: ResultTable[];
  /** targets the scenario checks, with the measured value and whether it was met */
  targets: { name: string; target: string; measured: number | string | null; met: boolean | null }[];
  notes: string[];
  /** anything else worth keeping (raw per-run figures, samples) */
  raw?: unknown;
}

export function fmtBytes(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${(n / (1 << 20)).toFixed(0)} MiB`;
}

export function toMarkdown(r: BenchResult): string {
  const m = r.machine;
  const lines = [
    `# ${r.title} (${r.mode})`,
    '',
    `- started: ${r.startedAt}, took ${r.durationS.toFixed(1)} s`,
    `- machine: ${m.cpuModel}, ${m.cores} cores, ${fmtBytes(m.memoryBytes)} RAM, Node ${m.node}, ${m.os}, load ${m.loadAvg1m}`,
    `- git: ${r.git.commit ?? 'unknown'}${r.git.dirty ? ' (working tree has uncommitted changes)' : ''} on ${r.git.branch ?? '?'}`,
    `- parameters: \`${JSON.stringify(r.params)}\``,
    '',
  ];
  if (r.targets.length) {
    lines.push('## Targets', '');
    lines.push(
      markdownTable(
        r.targets.map((t) => ({ target: t.name, wanted: t.target, measured: t.measured, met: t.met === null ? 'n/a' : t.met ? 'yes' : 'NO' })),
        ['target', 'wanted', 'measured', 'met'],
      ),
      '',
    );
  }
  for (const t of r.tables) lines.push(`## ${t.title}`, '', markdownTable(t.rows, t.columns), '');
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** Writes `<scenario>[-smoke].json` and `.md` under bench/results/; returns their paths. */
export function saveResult(r: BenchResult): { json: string; md: string } {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${r.scenario}${r.mode === 'smoke' ? '-smoke' : ''}`);
  writeFileSync(`${base}.json`, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(`${base}.md`, toMarkdown(r));
  return { json: `${base}.json`, md: `${base}.md` };
}

/** Collects a scenario's figures, prints nothing itself; `finish` saves and prints the summary. */
export class Recorder {
  private readonly t0 = performance.now();
  readonly startedAt = new Date().toISOString();
  readonly tables: ResultTable[] = [];
  readonly targets: BenchResult['targets'] = [];
  readonly notes: string[] = [];
  raw: Record<string, unknown> = {};

  constructor(
    readonly scenario: string,
    readonly title: string,
    readonly mode: 'full' | 'smoke',
    readonly params: Record<string, unknown>,
  ) {}

  table(title: string, rows: Row[], columns?: string[]): void {
    this.tables.push({ title, rows, ...(columns ? { columns } : {}) });
  }

  target(name: string, target: string, measured: number | string | null, met: boolean | null): void {
    this.targets.push({ name, target, measured, met });
  }

  note(s: string): void {
    this.notes.push(s);
  }

  /** Saves the result, prints where and each target, and sets a failing exit status when the scenario failed. */
  report(failed: boolean): void {
    const out = this.finish();
    console.log(`saved ${out.paths.json} and ${out.paths.md}`);
    for (const t of out.targets) console.log(`target ${t.name}: wanted ${t.target}, measured ${t.measured} → ${t.met ? 'met' : 'NOT met'}`);
    if (failed) process.exitCode = 1;
  }

  finish(): BenchResult & { paths: { json: string; md: string } } {
    const r: BenchResult = {
      scenario: this.scenario,
      title: this.title,
      mode: this.mode,
      startedAt: this.startedAt,
      durationS: (performance.now() - this.t0) / 1000,
      machine: machineInfo(),
      git: gitInfo(),
      params: this.params,
      tables: this.tables,
      targets: this.targets,
      notes: this.notes,
      raw: this.raw,
    };
    return { ...r, paths: saveResult(r) };
  }
}
