import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../config/config.js';
import { loadBackupConfig, parseCommandLine } from './backup.config.js';

const problems = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('backup configuration', () => {
  it("takes the database from the server's variables and keeps every backup by default", () => {
    const c = loadBackupConfig({ DATABASE_URL: 'postgres://u@h/db', DATABASE_SCHEMA: 'ward_a' });
    expect(c.database).toEqual({ type: 'postgres', url: 'postgres://u@h/db', schema: 'ward_a' });
    expect(c.backupDir).toBe(`${process.cwd()}/backups`);
    expect(c.retention).toBeNull();
  });

  it('lets --dir and --keep override BACKUP_DIR and BACKUP_RETENTION', () => {
    const c = loadBackupConfig({ BACKUP_DIR: '/srv/a', BACKUP_RETENTION: '7d' }, { dir: '/srv/b', keep: '24,4w' });
    expect(c.backupDir).toBe('/srv/b');
    expect(c.retention).toEqual({ last: 24, daily: 0, weekly: 4 });
  });

  it('names the variable or flag at fault, the server variables included', () => {
    expect(problems(() => loadBackupConfig({ BACKUP_RETENTION: '7days' })).map((p) => p.variable)).toEqual(['BACKUP_RETENTION']);
    expect(problems(() => loadBackupConfig({}, { keep: 'w4' }))[0]!.message).toMatch(/^--keep must be .*'w4' is not a retention term/);
    expect(problems(() => loadBackupConfig({ DATABASE_SCHEMA: 'Bad-Name' })).map((p) => p.variable)).toEqual(['DATABASE_SCHEMA']);
  });

  it('refuses unknown options', () => {
    expect(parseCommandLine(['x.sqlite', '--keep-unverified'], { values: [], flags: ['keep-unverified'] })).toEqual({
      values: new Map(),
      flags: new Set(['keep-unverified']),
      positional: ['x.sqlite'],
    });
    expect(problems(() => parseCommandLine(['--dri=/x'], { values: ['dir'], flags: [] }))[0]!.message).toContain('unknown option --dri=/x');
  });
});
