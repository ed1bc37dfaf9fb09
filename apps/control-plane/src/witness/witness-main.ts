/**
 * `npm run witness` / `medloop witness`: the outside witness (witness.ts) as a process.
 * Configured by the environment (witness-config.ts); its own key is generated at first start
 * (0600, like the log's, anchor-keys.ts) and its verifier key printed, for whoever checks its
 * cosignatures. Prints the URL it listens on (WITNESS_PORT=0: the free port it took).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import { loadAnchorKeys } from '../audit-anchor/anchor-keys.js';
import { ConfigError } from '../config/config.js';
import { loadWitnessConfig } from './witness-config.js';
import { startWitness, type WitnessServer } from './witness.js';

export async function runWitness(env: Record<string, string | undefined> = process.env): Promise<WitnessServer> {
  const config = loadWitnessConfig(env);
  const keys = loadAnchorKeys({
    origin: config.name,
    keyFile: config.keyFile,
    publicKeysFile: null,
    variables: { keyFile: 'WITNESS_KEY_FILE', name: 'WITNESS_NAME' },
  });
  const logger = pino({ level: config.logLevel, base: { service: 'medloop-witness' }, timestamp: pino.stdTimeFunctions.isoTime });
  const witness = await startWitness({
    host: config.host,
    port: config.port,
    dir: config.dir,
    logKeys: config.logKeys,
    signer: { name: keys.signer.name, privateKey: keys.signer.privateKey },
    logger,
  });
  logger.info({ url: witness.url, keyId: keys.signer.keyId, generated: keys.generated, logs: config.logKeys.length }, 'witness listening');
  // one plain line for a script (and a person) to read the URL and the key from
  process.stdout.write(`witness listening on ${witness.url}\nwitness verifier key ${keys.signer.verifierKey}\n`);
  return witness;
}

export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  loadDotenv({ quiet: true });
  let witness: WitnessServer;
  try {
    witness = await runWitness(env);
  } catch (err) {
    process.stderr.write(`witness: ${err instanceof ConfigError ? '' : 'failed to start: '}${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  }
  const stop = () => void witness.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// run when this file is the program (node dist/…/witness-main.js), not when imported (cli.ts, tests)
const entry = process.argv[1];
if (entry && realpathSync(entry) === fileURLToPath(import.meta.url)) void main();
