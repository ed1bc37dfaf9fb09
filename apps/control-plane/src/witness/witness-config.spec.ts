import { describe, expect, it } from '@jest/globals';
import { generateNoteKey } from '#domain';
import { ConfigError } from '../config/config.js';
import { loadWitnessConfig } from './witness-config.js';

const LOG_KEY = generateNoteKey('medloop.example/custody').verifierKey;

const problem = (env: Record<string, string>) => {
  try {
    loadWitnessConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems[0]!.variable;
    throw e;
  }
  return null;
};

describe('witness configuration', () => {
  it('reads the logs’ keys one per line, with defaults for the rest', () => {
    const other = generateNoteKey('medloop.other/custody').verifierKey;
    const c = loadWitnessConfig({ WITNESS_LOG_KEYS: `# two logs\n${LOG_KEY}\n\n${other}\n`, WITNESS_DIR: '/tmp/w/' });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 7380,
      dir: '/tmp/w',
      keyFile: '/tmp/w/witness.key',
      name: 'medloop-witness',
      logKeys: [LOG_KEY, other],
    });
  });

  it('names the variable at fault', () => {
    expect(problem({})).toBe('WITNESS_LOG_KEYS');
    expect(problem({ WITNESS_LOG_KEYS: 'medloop.example/custody+00000000+AAAA' })).toBe('WITNESS_LOG_KEYS');
    expect(problem({ WITNESS_LOG_KEYS_FILE: '/nonexistent/keys' })).toBe('WITNESS_LOG_KEYS_FILE');
    expect(problem({ WITNESS_LOG_KEYS: LOG_KEY, WITNESS_PORT: '70000' })).toBe('WITNESS_PORT');
    expect(problem({ WITNESS_LOG_KEYS: LOG_KEY, WITNESS_NAME: 'a b' })).toBe('WITNESS_NAME');
    expect(problem({ WITNESS_LOG_KEYS: LOG_KEY, WITNESS_PORT: '0' })).toBeNull();
  });
});
