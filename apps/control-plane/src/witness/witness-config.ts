/**
 * The witness's configuration, from the environment, validated like the control plane's
 * (config/config.ts): a bad value stops it with a message naming the variable, before it listens.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isValidKeyName } from '#domain';
import { parseVerifierKeyList } from '../audit-anchor/anchor-keys.js';
import { ConfigError, LOG_LEVELS } from '../config/config.js';

export interface WitnessConfig {
  host: string;
  port: number;
  dir: string;
  /** verifier keys of the logs whose checkpoints it takes */
  logKeys: string[];
  /** its own Ed25519 signer (Go signed-note format), 0600; generated when absent */
  keyFile: string;
  /** its key's name: the name on its cosignature lines */
  name: string;
  logLevel: (typeof LOG_LEVELS)[number];
}

const schema = z.object({
  WITNESS_HOST: z.string().default('127.0.0.1'),
  WITNESS_PORT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return 7380;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `WITNESS_PORT must be an integer port 0-65535 (0 = any free port), got '${v}'` });
        return z.NEVER;
      }
      return n;
    }),
  WITNESS_DIR: z.string().default('./data/witness'),
  WITNESS_LOG_KEYS: z.string().optional(),
  WITNESS_LOG_KEYS_FILE: z.string().optional(),
  WITNESS_KEY_FILE: z.string().optional(),
  WITNESS_NAME: z
    .string()
    .default('medloop-witness')
    .refine((v) => isValidKeyName(v), { message: "WITNESS_NAME is the witness key's name: no space, no '+', no control character" }),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

export function loadWitnessConfig(env: Record<string, string | undefined> = process.env): WitnessConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'environment'), message: i.message })));
  const e = parsed.data;
  let keysText: string;
  let variable: string;
  if (e.WITNESS_LOG_KEYS && e.WITNESS_LOG_KEYS_FILE)
    throw new ConfigError([{ variable: 'WITNESS_LOG_KEYS_FILE', message: 'set WITNESS_LOG_KEYS or WITNESS_LOG_KEYS_FILE, not both' }]);
  if (e.WITNESS_LOG_KEYS_FILE) {
    variable = 'WITNESS_LOG_KEYS_FILE';
    try {
      keysText = readFileSync(e.WITNESS_LOG_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError([{ variable, message: `${e.WITNESS_LOG_KEYS_FILE}: cannot be read (${(err as NodeJS.ErrnoException).code})` }]);
    }
  } else {
    variable = 'WITNESS_LOG_KEYS';
    keysText = e.WITNESS_LOG_KEYS ?? '';
  }
  const logKeys = parseVerifierKeyList(keysText, variable === 'WITNESS_LOG_KEYS' ? variable : e.WITNESS_LOG_KEYS_FILE!, variable).map((k) => k.verifierKey);
  if (logKeys.length === 0)
    throw new ConfigError([
      { variable, message: 'no log key: give the verifier key of each log to witness, one per line (<origin>+<key id>+<base64>, GET /api/audit/keys)' },
    ]);
  const dir = e.WITNESS_DIR.replace(/\/$/, '');
  return {
    host: e.WITNESS_HOST,
    port: e.WITNESS_PORT,
    dir,
    logKeys,
    keyFile: e.WITNESS_KEY_FILE || `${dir}/witness.key`,
    name: e.WITNESS_NAME,
    logLevel: e.LOG_LEVEL,
  };
}
