/**
 * Load generators, brokers and subscribers run as separate Node processes (compiled
 * bench/workers/*.js) so their CPU never counts against the process under test. The parent
 * talks to them over the IPC channel: each worker reports `{type:'ready'}`, takes commands,
 * and answers with typed messages. Every wait has a timeout; every worker has a lifetime cap.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WorkerMessage {
  type: string;
  [k: string]: unknown;
}

export function workerScript(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'workers', `${name}.js`);
}

export interface SpawnOptions {
  label?: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** forward the worker's stdout lines (stderr always is) */
  echoStdout?: boolean;
}

export class Worker {
  readonly proc: ChildProcess;
  readonly label: string;
  private readonly inbox: WorkerMessage[] = [];
  private readonly waiters: { type: string; resolve: (m: WorkerMessage) => void; reject: (e: Error) => void }[] = [];
  private exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  /** the `ready` message, once spawnReady has received it */
  ready: WorkerMessage | undefined;

  constructor(name: string, args: unknown, opts: SpawnOptions = {}) {
    this.label = opts.label ?? name;
    this.proc = fork(workerScript(name), [JSON.stringify(args ?? {})], {
      execArgv: opts.nodeArgs ?? [],
      env: { ...process.env, ...(opts.env ?? {}) },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const prefix = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream, echo: boolean) => {
      if (!stream) return;
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          if (echo) out.write(`[${this.label}] ${buf.slice(0, i)}\n`);
          buf = buf.slice(i + 1);
        }
      });
    };
    prefix(this.proc.stdout, process.stdout, opts.echoStdout ?? false);
    prefix(this.proc.stderr, process.stderr, true);
    this.proc.on('message', (m: WorkerMessage) => this.deliver(m));
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.label} exited (code ${code}, signal ${signal}) before sending '${w.type}'`));
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  private deliver(m: WorkerMessage): void {
    if (m.type === 'fatal') {
      const err = new Error(`${this.label} failed: ${String(m['message'])}`);
      for (const w of this.waiters.splice(0)) w.reject(err);
      this.inbox.push(m);
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    else this.inbox.push(m);
  }

  /** The next message of `type` (already received or still to come). */
  next<T extends WorkerMessage = WorkerMessage>(type: string, timeoutMs: number): Promise<T> {
    const fatal = this.inbox.find((m) => m.type === 'fatal');
    if (fatal) return Promise.reject(new Error(`${this.label} failed: ${String(fatal['message'])}`));
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as T);
    if (!this.alive) return Promise.reject(new Error(`${this.label} is not running (waiting for '${type}')`));
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m: WorkerMessage) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const j = this.waiters.indexOf(waiter);
        if (j >= 0) this.waiters.splice(j, 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for '${type}' from ${this.label}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(msg: WorkerMessage): void {
    if (this.alive && this.proc.connected) this.proc.send(msg);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.alive) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

export function spawnWorker(name: string, args: unknown, opts?: SpawnOptions): Worker {
  return new Worker(name, args, opts);
}

/** Starts several workers and waits until each reports `ready`. */
export async function spawnReady(name: string, argsList: unknown[], readyTimeoutMs: number, opts: (i: number) => SpawnOptions = () => ({})): Promise<Worker[]> {
  const workers = argsList.map((a, i) => spawnWorker(name, a, { label: `${name}#${i}`, ...opts(i) }));
  try {
    await Promise.all(
      workers.map(async (w) => {
        w.ready = await w.next('ready', readyTimeoutMs);
      }),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop()));
    throw err;
  }
  return workers;
}

export async function stopAll(workers: readonly (Worker | undefined)[]): Promise<void> {
  await Promise.all(workers.map((w) => w?.stop()));
}

/** Parent side of a generic child (not a worker): kill it and wait. */
export async function killAndWait(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}
