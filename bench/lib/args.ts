/** Command-line flags shared by every scenario: `--smoke`, `--key=value` overrides. */

export interface BenchArgs {
  smoke: boolean;
  /** `--name=value` pairs (numbers are parsed by `num`) */
  values: Map<string, string>;
  flags: Set<string>;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (const a of argv) {
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) values.set(a.slice(2, eq), a.slice(eq + 1));
    else flags.add(a.slice(2));
  }
  return { smoke: flags.has('smoke'), values, flags };
}

/** A numeric override (`--name=123`), else the smoke or full default. */
export function num(args: BenchArgs, name: string, full: number, smoke: number): number {
  const v = args.values.get(name);
  if (v !== undefined) {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
    return n;
  }
  return args.smoke ? smoke : full;
}

export function str(args: BenchArgs, name: string, def: string): string {
  return args.values.get(name) ?? def;
}
