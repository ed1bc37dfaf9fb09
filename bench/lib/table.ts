/** Plain-text and Markdown tables for benchmark output. */

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

export function formatCell(v: Cell): string {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'n/a';
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    const abs = Math.abs(v);
    return v.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 0 : abs >= 1 ? 2 : 3 });
  }
  return String(v);
}

function columnsOf(rows: readonly Row[], columns?: readonly string[]): string[] {
  if (columns) return [...columns];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** A fixed-width table for the terminal. */
export function textTable(rows: readonly Row[], columns?: readonly string[]): string {
  const cols = columnsOf(rows, columns);
  const cells = rows.map((r) => cols.map((c) => formatCell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function markdownTable(rows: readonly Row[], columns?: readonly string[]): string {
  const cols = columnsOf(rows, columns);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${cols.map(esc).join(' | ')} |`,
    `|${cols.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => esc(formatCell(r[c]))).join(' | ')} |`),
  ].join('\n');
}

export function printTable(title: string, rows: readonly Row[], columns?: readonly string[]): void {
  console.log(`\n${title}\n${textTable(rows, columns)}\n`);
}
