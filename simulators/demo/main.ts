/**
 * `npm run demo`: the control plane on its embedded defaults plus a simulated hospital —
 * robots, ward sensors and cabinets, patients and orders flowing on a schedule, now and then
 * a fault — so the whole loop is visible in the browser within a minute. Demo users are
 * printed at start. Flags: --fresh (wipe the demo database), --time-scale N (default 10),
 * --help. It listens on 127.0.0.1 unless DEMO_HOST (or HTTP_HOST / MQTT_HOST) says otherwise:
 * its passwords are fixed and published. Ctrl-C stops the loops, the simulators, then the server.
 */
import 'reflect-metadata';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { PortInUseError } from '#broker';
import { DatabaseStartError } from '#persistence';
import { ConfigError, loadConfig } from '../../apps/control-plane/src/config/config.js';
import { DEMO_ADMIN_PASSWORD, DEMO_JWT_SECRET } from './data.js';
import { DEFAULT_OPTIONS, startDemo } from './demo.js';

const USAGE = `usage: npm run demo -- [--fresh] [--time-scale N]
  --fresh          wipe the demo database (DATA_DIR, default ./data/demo) first
  --time-scale N   simulated seconds per real second for robots and sensors (default 10)
Environment: the server's variables (HTTP_PORT, MQTT_PORT, DATA_DIR, …) override the demo defaults;
  DEMO_HOST               address the web UI/API and the broker listen on (default 127.0.0.1: the demo's
                          passwords are fixed; HTTP_HOST / MQTT_HOST still override each one)
  DEMO_HUMAN_SHARE_EVERY  leave every n-th new order for you to verify and send (default 3; 0 = none)`;

const stamp = () => new Date().toISOString().slice(11, 19);
const out = (line: string) => console.log(`${stamp()} ${line}`);

function parseArgs(argv: string[]): { fresh: boolean; timeScale: number; help: boolean } {
  const args = { fresh: false, timeScale: DEFAULT_OPTIONS.timeScale, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--fresh') args.fresh = true;
    else if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--time-scale' || a.startsWith('--time-scale=')) {
      const v = a.includes('=') ? a.split('=')[1] : argv[++i];
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > 200) throw new Error(`--time-scale must be a number in (0, 200], got '${v}'`);
      args.timeScale = n;
    } else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  return args;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

/** DEMO_HUMAN_SHARE_EVERY: a whole number ≥ 0 (default 3). */
function shareEvery(v: string | undefined): number {
  if (v === undefined || v === '') return DEFAULT_OPTIONS.humanShareEvery;
  if (!/^\d+$/.test(v))
    throw new ConfigError([
      { variable: 'DEMO_HUMAN_SHARE_EVERY', message: `must be a whole number ≥ 0 (0 = the simulated pharmacist verifies every order), got '${v}'` },
    ]);
  return Number(v);
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => done(true)));
  });
}

/** 1883 unless taken (a Mosquitto on a dev machine): then the first free port from 1884 on. */
async function mqttPort(host: string): Promise<{ port: number; fellBack: boolean }> {
  for (let port = 1883; port < 1983; port++) if (await portFree(port, host)) return { port, fellBack: port !== 1883 };
  throw new Error('no free MQTT port between 1883 and 1982; set MQTT_PORT');
}

/**
 * Removes the demo database with what anchors it (the checkpoint key and file, the witness's
 * copy: a fresh database under an old checkpoint is a failed anchor), refusing a directory that
 * holds anything else.
 */
function wipe(dir: string): void {
  if (!existsSync(dir)) return;
  const foreign = readdirSync(dir).filter((f) => !/^medloop\.sqlite/.test(f) && !['keys', 'checkpoints', 'witness'].includes(f));
  if (foreign.length) throw new Error(`--fresh: ${dir} holds more than a MedLoop database (${foreign.slice(0, 3).join(', ')}); not wiping it`);
  rmSync(dir, { recursive: true, force: true });
}

function usersTable(users: { username: string; password: string; role: string; wards?: string[]; badge?: { gsrn: string; pin: string } }[]): string {
  const rows = [
    ['username', 'password', 'role', 'wards', 'badge GSRN + PIN'],
    ...users.map((u) => [u.username, u.password, u.role, u.wards?.join(',') ?? 'all', u.badge ? `${u.badge.gsrn} + ${u.badge.pin}` : '']),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `  ${r.map((v, c) => v.padEnd(widths[c]!)).join('  ')}`.trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const args = parseArgs(process.argv.slice(2));
  if (args.help) return void console.log(USAGE);
  const env = { ...process.env };
  const notes: string[] = [];
  // the demo signs in with fixed, published passwords: it faces the loopback only unless told otherwise
  const bind = env['DEMO_HOST'] || '127.0.0.1';
  const humanShareEvery = shareEvery(env['DEMO_HUMAN_SHARE_EVERY']);
  if (!env['MQTT_PORT']) {
    const { port, fellBack } = await mqttPort(env['MQTT_HOST'] || bind);
    env['MQTT_PORT'] = String(port);
    if (fellBack) notes.push(`port 1883 is taken (another broker?): the demo broker listens on ${port} instead`);
  }
  const adminPassword = env['ADMIN_PASSWORD'] || DEMO_ADMIN_PASSWORD;
  const config = loadConfig({
    HTTP_HOST: bind,
    MQTT_HOST: bind,
    HTTP_PORT: '3000',
    MQTT_WS_PORT: 'off',
    DATA_DIR: './data/demo',
    LOG_LEVEL: 'warn',
    DISPATCH_INTERVAL_MS: '500',
    CUSTODY_TICK_MS: '2000',
    // a delivery nobody opens raises its alarm while the demo is being watched
    DELIVERY_RECEIPT_ALARM_MS: '90000',
    ALARM_RULE_TICK_MS: '2000',
    ALARM_ESCALATION_CHECK_MS: '2000',
    TELEMETRY_FLUSH_MS: '500',
    // the server times excursions on its own clock, and sensors at 10x report wall-clock ts:
    // a door left open confirms an excursion after a real minute out of range, not ten
    // and quarantines what was inside after two (the hospital default is half an hour)
    COLD_CHAIN_MIN_EXCURSION_S: '60',
    COLD_CHAIN_QUARANTINE_AFTER_S: '120',
    COLD_CHAIN_RECOVER_S: '60',
    // checkpoints of the custody log (and their witness) while the demo is being watched
    CHECKPOINT_EVERY_SECONDS: '10',
    ...env,
    ADMIN_PASSWORD: adminPassword,
    JWT_SECRET: env['JWT_SECRET'] || DEMO_JWT_SECRET,
  });
  if (args.fresh) {
    if (config.database.type === 'sqlite') {
      wipe(resolve(config.dataDir));
      notes.push(`--fresh: wiped ${config.dataDir}`);
    } else notes.push('--fresh applies to the SQLite demo database only; DATABASE_URL is left as it is');
  }

  console.log('MedLoop DEMO: fixed demo passwords and a simulated hospital. Never point this at real patients or devices.');
  for (const n of notes) console.log(`note: ${n}`);
  console.log(
    `starting the control plane (database ${config.database.type === 'sqlite' ? config.database.path : 'PostgreSQL'}) and seeding the demo hospital…`,
  );
  if (!isLoopback(config.http.host) || !isLoopback(config.mqtt.host))
    console.log(`warning: the demo listens on ${config.http.host} (HTTP) and ${config.mqtt.host} (MQTT) with its fixed passwords: keep that network private`);
  const demo = await startDemo(config, adminPassword, { ...DEFAULT_OPTIONS, humanShareEvery, timeScale: args.timeScale, log: out });
  const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
  const mqttHost = config.mqtt.host === '0.0.0.0' ? 'localhost' : config.mqtt.host;
  console.log(`
  Web UI     http://${host}:${demo.cp.httpPort}/
  API docs   http://${host}:${demo.cp.httpPort}/api/docs
  MQTT       mqtt://${mqttHost}:${demo.cp.mqttPorts.tcp}${demo.cp.mqttPorts.ws ? `   (WebSocket ws://${mqttHost}:${demo.cp.mqttPorts.ws})` : ''}${
    demo.witness ? `\n  Witness    ${demo.witness.url}/checkpoint/${encodeURIComponent(config.audit.origin)}   (the custody log's checkpoints, cosigned)` : ''
  }
  Simulated  ${demo.devices.robots.robots.length} robots, ${demo.devices.sensors.sensors.length} ward sensors, ${demo.devices.cabinets.cabinets.length} cabinets; time scale ${args.timeScale}

Demo users (demo passwords, this database only):
${usersTable(demo.users)}

Orders every ~${DEFAULT_OPTIONS.orderEveryMs / 1000} s; every second delivery waits at its ward station for you (sign in as that ward's nurse).
Ctrl-C stops the demo.
`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`${signal}: stopping the loops, the simulators, then the server`);
    setTimeout(() => {
      console.error('demo: shutdown took longer than 20 s; exiting anyway');
      process.exit(1);
    }, 20_000).unref();
    demo.stop().then(
      () => {
        out(`stopped (${demo.pharmacy.stats.orders} orders, ${demo.pharmacy.stats.deliveries} deliveries, ${demo.ward.stats.administered} doses given)`);
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`demo: error while stopping: ${(err as Error)?.message ?? String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof PortInUseError || err instanceof DatabaseStartError;
  process.stderr.write(`demo: ${known ? '' : 'failed to start: '}${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
