/**
 * CPU% and RSS of a process, read from /proc (Linux only; elsewhere the sampler reports null).
 * CPU% is utime+stime over wall time between two readings: 100 = one core fully busy.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export interface ProcReading {
  at: number;
  /** cumulative user+system CPU seconds */
  cpuS: number;
  rssBytes: number;
}

export function readProc(pid: number): ProcReading | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return { at: performance.now(), cpuS: (utime + stime) / ticksPerSecond(), rssBytes: m ? Number(m[1]) * 1024 : 0 };
  } catch {
    return null;
  }
}

export function rssBytes(pid: number): number | null {
  return readProc(pid)?.rssBytes ?? null;
}

export interface ProcStats {
  pid: number;
  /** average CPU% over the window (100 = one core) */
  cpuPct: number | null;
  /** highest CPU% over any sampling interval */
  cpuPeakPct: number | null;
  rssStartBytes: number | null;
  rssEndBytes: number | null;
  rssPeakBytes: number | null;
}

/** Samples a pid every `everyMs` from start() until stop(); bounded by the caller's window. */
export class ProcSampler {
  private first: ProcReading | null = null;
  private last: ProcReading | null = null;
  private peakRss = 0;
  private peakCpu = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pid: number,
    private readonly everyMs = 250,
  ) {}

  start(): this {
    this.first = this.last = readProc(this.pid);
    this.peakRss = this.first?.rssBytes ?? 0;
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
    return this;
  }

  private sample(): void {
    const r = readProc(this.pid);
    if (!r) return;
    if (this.last) {
      const dt = (r.at - this.last.at) / 1000;
      if (dt > 0) this.peakCpu = Math.max(this.peakCpu, ((r.cpuS - this.last.cpuS) / dt) * 100);
    }
    this.peakRss = Math.max(this.peakRss, r.rssBytes);
    this.last = r;
  }

  stop(): ProcStats {
    clearInterval(this.timer);
    this.sample();
    const a = this.first;
    const b = this.last;
    const dt = a && b ? (b.at - a.at) / 1000 : 0;
    return {
      pid: this.pid,
      cpuPct: a && b && dt > 0 ? ((b.cpuS - a.cpuS) / dt) * 100 : null,
      cpuPeakPct: a ? this.peakCpu : null,
      rssStartBytes: a?.rssBytes ?? null,
      rssEndBytes: b?.rssBytes ?? null,
      rssPeakBytes: a ? this.peakRss : null,
    };
  }
}

/** Pids whose /proc/<pid>/comm equals `name` (e.g. the system's mosquitto). Read-only. */
export function pidsByName(name: string): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === name) out.push(Number(e));
    } catch {
      // the process went away
    }
  }
  return out;
}

/** The soft and hard open-files limits of a process, from /proc/<pid>/limits. */
export function openFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | null {
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!m) return null;
    const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return null;
  }
}
