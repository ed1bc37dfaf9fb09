/**
 * Entry point: `npm start`. Reads `.env` (without overriding the real environment),
 * validates configuration, and starts the control plane. Configuration, port and database
 * problems end the process with one clear line instead of a stack trace.
 */
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { SiteFileError } from '#contracts';
import { PortInUseError } from '#broker';
import { DatabaseStartError } from '#persistence';
import { startControlPlane } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/config.js';

loadDotenv({ quiet: true });

async function main(): Promise<void> {
  const config = loadConfig();
  const cp = await startControlPlane(config, { shutdownHooks: false });
  const durability = config.database.type === 'sqlite' ? { sqliteSynchronous: config.database.synchronous } : {};
  cp.logger.info({ http: cp.httpPort, mqtt: cp.mqttPorts, database: config.database.type, ...durability }, 'MedLoop control plane ready');
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    cp.logger.info({ signal }, 'shutting down: closing the broker, HTTP server and database');
    // a stuck dependency must not keep a hospital's restart waiting forever
    setTimeout(() => {
      cp.logger.error('shutdown took longer than 15 s; exiting anyway');
      process.exit(1);
    }, 15_000).unref();
    cp.close().then(
      () => process.exit(0),
      (err: unknown) => {
        cp.logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PortInUseError || err instanceof SiteFileError || err instanceof DatabaseStartError) {
    process.stderr.write(`medloop: ${err.message}\n`);
  } else {
    process.stderr.write(`medloop: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  }
  process.exit(1);
});
