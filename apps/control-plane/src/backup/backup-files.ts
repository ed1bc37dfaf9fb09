/**
 * Backup file names and retention, pure. A backup is named after its database and the UTC
 * instant it was taken (`medloop-sqlite-20261127T101500.123Z.sqlite`,
 * `medloop-pg-<schema>-20261127T101500.123Z.pgdump`); retention reads the instant back from
 * the name (not the mtime, which a copy changes) and only ever considers files of the same
 * series (same database label and extension), so two installations sharing a backup
 * directory never prune each other's backups.
 */

export type BackupKind = 'sqlite' | 'pgdump';

export interface BackupName {
  /** `sqlite` or `pg-<schema>` */
  label: string;
  kind: BackupKind;
  at: Date;
}

const NAME = /^medloop-((?:sqlite|pg-[a-z_][a-z0-9_]*))-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z\.(sqlite|pgdump)$/;

function stamp(at: Date): string {
  const iso = at.toISOString(); // 2026-11-27T10:15:00.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${iso.slice(20, 23)}Z`;
}

export function backupFileName(name: BackupName): string {
  return `medloop-${name.label}-${stamp(name.at)}.${name.kind}`;
}

/** The name's parts, or null for any file that is not a MedLoop backup. */
export function parseBackupFileName(file: string): BackupName | null {
  const m = NAME.exec(file);
  if (!m) return null;
  const [, label, y, mo, d, h, mi, s, ms, kind] = m;
  const at = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms)));
  if (Number.isNaN(at.getTime()) || stamp(at) !== file.slice(`medloop-${label}-`.length, -`.${kind}`.length)) return null;
  return { label: label!, kind: kind as BackupKind, at };
}

/**
 * How many backups to keep: the `last` newest, plus the newest of each of the `daily` most
 * recent UTC days that have a backup, plus the newest of each of the `weekly` most recent ISO
 * weeks that have one (a union; a gap in the schedule never empties a bucket).
 */
export interface Retention {
  last: number;
  daily: number;
  weekly: number;
}

export const RETENTION_SYNTAX =
  "a comma-separated list of N (the N newest), Nd (one per day for N days) and Nw (one per week for N weeks), e.g. '7d,4w', or 'all'";

/** Parses `7d,4w`, `24,7d`, … ; `all` (or empty) means keep everything (null). */
export function parseRetention(text: string): Retention | null {
  const s = text.trim().toLowerCase();
  if (s === '' || s === 'all') return null;
  const r: Retention = { last: 0, daily: 0, weekly: 0 };
  const seen = new Set<string>();
  for (const part of s.split(',')) {
    const m = /^(\d{1,5})([dw]?)$/.exec(part.trim());
    if (!m || Number(m[1]) <= 0) throw new Error(`'${part.trim()}' is not a retention term`);
    const unit = m[2] || 'n';
    if (seen.has(unit)) throw new Error(`'${text}' gives the ${unit === 'd' ? 'daily' : unit === 'w' ? 'weekly' : 'newest-N'} count twice`);
    seen.add(unit);
    r[unit === 'd' ? 'daily' : unit === 'w' ? 'weekly' : 'last'] = Number(m[1]);
  }
  return r;
}

export function describeRetention(r: Retention | null): string {
  if (!r) return 'all';
  return [r.last ? `${r.last}` : '', r.daily ? `${r.daily}d` : '', r.weekly ? `${r.weekly}w` : ''].filter(Boolean).join(',');
}

const dayKey = (d: Date) => d.toISOString().slice(0, 10);

/** ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday), in UTC. */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow); // the Thursday of this week decides its year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Which of `files` (backup file names, any order, other names ignored) to delete under
 * `retention`, for the series of `current` (the backup just written, which is always kept).
 */
export function backupsToPrune(files: readonly string[], current: string, retention: Retention): string[] {
  const cur = parseBackupFileName(current);
  if (!cur) throw new Error(`${current} is not a backup file name`);
  const series = files
    .map((f) => ({ f, n: parseBackupFileName(f) }))
    .filter((x): x is { f: string; n: BackupName } => x.n !== null && x.n.label === cur.label && x.n.kind === cur.kind)
    .sort((a, b) => b.n.at.getTime() - a.n.at.getTime() || (a.f < b.f ? 1 : -1));
  const keep = new Set<string>([current]);
  series.slice(0, retention.last).forEach((x) => keep.add(x.f));
  const newestPer = (key: (d: Date) => string, buckets: number) => {
    const seen = new Set<string>();
    for (const x of series) {
      if (seen.size >= buckets) break;
      const k = key(x.n.at);
      if (seen.has(k)) continue;
      seen.add(k);
      keep.add(x.f);
    }
  };
  newestPer(dayKey, retention.daily);
  newestPer(isoWeekKey, retention.weekly);
  return series.filter((x) => !keep.has(x.f)).map((x) => x.f);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
