/**
 * Entry point: `npm start`. Reads `.env` (without overriding the real environment),
 * validates configuration, and starts the control plane. Configuration and port problems
 * end the process with one clear line instead of a stack trace.
 */
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { PortInUseError } from '#broker';
import { startControlPlane } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/config.js';

loadDotenv({ quiet: true });

async function main(): Promise<void> {
  const config = loadConfig();
  const cp = await startControlPlane(config);
  cp.logger.info({ http: cp.httpPort, mqtt: cp.mqttPorts, database: config.database.type }, 'MedLoop control plane ready');
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PortInUseError) {
    process.stderr.write(`medloop: ${err.message}\n`);
  } else {
    process.stderr.write(`medloop: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  }
  process.exit(1);
});
