import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { generateNoteKey } from '#domain';
import { ConfigError } from '../config/config.js';
import { parseAuditArgs, readVerifierKeys } from './audit-cli.js';

const KEY = generateNoteKey('medloop.cli-test/custody').verifierKey;
const problem = (argv: string[]): string => {
  try {
    parseAuditArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.message).join('; ');
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('npm run audit: the command line', () => {
  it('reads verify against a SQLite file, with the leaves file next to the checkpoints by default', () => {
    expect(parseAuditArgs(['verify', '--db', 'data/medloop.sqlite', '--checkpoints', 'cp/custody.log', '--public-key', KEY])).toEqual({
      command: 'verify',
      database: { type: 'sqlite', path: resolve('data/medloop.sqlite') },
      checkpoints: resolve('cp/custody.log'),
      leaves: resolve('cp/custody.log.leaves'),
      publicKeys: [KEY],
      origin: null,
      json: false,
    });
  });

  it('reads verify against PostgreSQL with a schema, --opt=value, several keys, --json', () => {
    const retired = generateNoteKey('medloop.cli-test/custody').verifierKey;
    expect(
      parseAuditArgs([
        'verify',
        '--db=postgres://auditor@db.example:5432/medloop',
        '--schema',
        'site_a',
        '--checkpoints=/mnt/worm/custody.log',
        `--public-key=${KEY}`,
        '--public-key',
        retired,
        '--leaves',
        '/mnt/worm/leaves',
        '--origin',
        'medloop.a/custody',
        '--json',
      ]),
    ).toEqual({
      command: 'verify',
      database: { type: 'postgres', url: 'postgres://auditor@db.example:5432/medloop', schema: 'site_a' },
      checkpoints: '/mnt/worm/custody.log',
      leaves: '/mnt/worm/leaves',
      publicKeys: [KEY, retired],
      origin: 'medloop.a/custody',
      json: true,
    });
    expect(parseAuditArgs(['verify', '--db', 'postgresql://h/d', '--checkpoints', 'c', '--public-key', KEY]).command).toBe('verify');
  });

  it('reads verify-proof with its bundle file', () => {
    expect(parseAuditArgs(['verify-proof', 'proof.json', '--public-key', KEY, '--json'])).toEqual({
      command: 'verify-proof',
      bundle: resolve('proof.json'),
      publicKeys: [KEY],
      json: true,
    });
    expect(parseAuditArgs(['--help'])).toEqual({ command: 'help' });
  });

  it('refuses what it cannot run, saying why, with the usage', () => {
    expect(problem([])).toContain('a command is required');
    expect(problem(['audit'])).toContain('unknown command audit');
    expect(problem(['verify', '--checkpoints', 'c', '--public-key', KEY])).toContain('--db is required');
    expect(problem(['verify', '--db', 'x.sqlite', '--public-key', KEY])).toContain('--checkpoints is required');
    expect(problem(['verify', '--db', 'x.sqlite', '--checkpoints', 'c'])).toContain('--public-key is required');
    expect(problem(['verify', '--db', 'x.sqlite', '--schema', 's', '--checkpoints', 'c', '--public-key', KEY])).toContain('PostgreSQL database only');
    expect(problem(['verify', '--db', '--checkpoints', 'c'])).toContain('--db needs a value');
    expect(problem(['verify', '--db', 'a', '--db', 'b', '--checkpoints', 'c', '--public-key', KEY])).toContain('more than once');
    expect(problem(['verify', '--db', 'a', '--checkpoints', 'c', '--public-key', KEY, '--force'])).toContain('unknown option --force');
    expect(problem(['verify', '--db', 'a', '--checkpoints', 'c', '--public-key', KEY, 'extra'])).toContain('no other arguments');
    expect(problem(['verify-proof', '--public-key', KEY])).toContain('one bundle file');
    expect(problem(['verify-proof', 'p.json', '--public-key', KEY, '--db', 'x'])).toContain('--db does not apply to verify-proof');
    expect(problem(['verify-proof', 'p.json'])).toContain('usage: npm run audit');
  });

  it('takes a key as given, or the keys of a file: one a line with comments, or GET /api/audit/keys', () => {
    const files: Record<string, string> = {
      'keys.txt': `# current\n${KEY}\n\n# retired\nmedloop.cli-test/custody+0badf00d+AAAA\n`,
      'keys.json': JSON.stringify({ origin: 'o', current: { verifierKey: KEY }, retired: [{ verifierKey: 'r' }] }),
    };
    const read = (f: string) => {
      if (!(f in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[f]!;
    };
    expect(readVerifierKeys([KEY], read)).toEqual([KEY]);
    expect(readVerifierKeys(['keys.txt'], read)).toEqual([KEY, 'medloop.cli-test/custody+0badf00d+AAAA']);
    expect(readVerifierKeys(['keys.json'], read)).toEqual([KEY, 'r']);
    expect(() => readVerifierKeys(['absent.txt'], read)).toThrow(ConfigError);
    expect(() => readVerifierKeys(['keys.txt'], () => '# nothing\n')).toThrow(/no verifier key/);
  });
});
