/**
 * Command-line parsing for the sensor simulator: flags override the JSON fleet file's
 * settings; without a file, `--count` sensors are generated.
 */
import { parseArgs } from 'node:util';
import { ConfigError, parseSensorFleetConfig, readJsonFile, type SensorFleetConfig } from './config.js';

export const USAGE = `MedLoop ward sensor simulator (MQTT, protocol v1)

usage: node dist/simulators/sensor/main.js [--config sensors.json] [options]

connection and fleet
  --config <file>            JSON fleet config (settings + sensors[]); flags below override its settings
  --broker <url>             MQTT broker (default mqtt://localhost:1883)
sensors (without --config)
  --count <n>                number of sensors (default 1)
  --prefix <p>               device ids <p>0001.. (default FRIDGE- or ROOM- by profile)
  --profile <fridge|room|mixed>  mixed = every fourth sensor is a room sensor (default fridge)
  --password <secret>        MQTT password for every sensor (username = device id)
  --location <ward>          location recorded in the config (informational)
simulation
  --time-scale <factor>      60 = one simulated minute per second (default 1); device ts never run ahead of the wall clock
  --report-interval <s>      simulated seconds between telemetry messages (default 60)
  --scenario <name|file>     run a scripted scenario (bundled: fridge-excursion, compressor-failure)
faults (simulated seconds from start; apply to --fault-sensors or all)
  --fault-sensors <ids>      comma-separated device ids (patterns with * allowed)
  --door-open-at <s> --door-open-for <s>   leave the fridge door open
  --excursion-at <s> --excursion-for <real s> --excursion-c <C>
                             the fridge reads <C> for that many *real* seconds (the server times it on its clock)
  --drift <C-per-hour>       probes drift from the start
  --stuck-at <s>             probes stick at their current value
  --offline-at <s>           drop the connection (last will fires) ...
  --reconnect-after <s>      ... and reconnect this many real seconds later
output
  --summary-interval <s>     real seconds between summary lines (default 10, 0 = off)
  --quiet                    no per-event lines
  --help                     this text`;

export type SensorCli = { help: true } | SensorRunOptions;

export interface SensorRunOptions {
  help: false;
  quiet: boolean;
  summaryIntervalS: number;
  fleet: SensorFleetConfig;
  scenario?: string;
  faults: {
    sensors?: string[];
    doorOpenAtS?: number;
    doorOpenForS?: number;
    driftCPerH?: number;
    stuckAtS?: number;
    offlineAtS?: number;
    reconnectAfterS?: number;
    excursionAtS?: number;
    excursionForS?: number;
    excursionC?: number;
  };
}

const str = { type: 'string' } as const;

export function parseSensorCli(argv: string[]): SensorCli {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean' },
      quiet: { type: 'boolean' },
      config: str,
      broker: str,
      count: str,
      prefix: str,
      profile: str,
      password: str,
      location: str,
      'time-scale': str,
      'report-interval': str,
      scenario: str,
      'fault-sensors': str,
      'door-open-at': str,
      'door-open-for': str,
      drift: str,
      'stuck-at': str,
      'offline-at': str,
      'reconnect-after': str,
      'excursion-at': str,
      'excursion-for': str,
      'excursion-c': str,
      'summary-interval': str,
    },
  });
  if (values.help === true) return { help: true };
  const num = (flag: keyof typeof values): number | undefined => {
    const raw = values[flag];
    if (typeof raw !== 'string') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ConfigError(`--${flag} must be a number, got '${raw}'`);
    return n;
  };
  const base = (values.config ? readJsonFile(values.config, 'sensor config') : {}) as Record<string, unknown>;
  const overrides = Object.fromEntries(
    Object.entries({ brokerUrl: values.broker, timeScale: num('time-scale'), reportIntervalS: num('report-interval') }).filter(([, v]) => v !== undefined),
  );
  const sensors = base['sensors'] ?? generateSensors(num('count') ?? 1, values.profile ?? 'fridge', values.prefix, values.password, values.location);
  const fleet = parseSensorFleetConfig({ ...base, ...overrides, sensors }, values.config ?? 'command line');
  const faults = Object.fromEntries(
    Object.entries({
      sensors: values['fault-sensors']?.split(',').filter(Boolean),
      doorOpenAtS: num('door-open-at'),
      doorOpenForS: num('door-open-for'),
      driftCPerH: num('drift'),
      stuckAtS: num('stuck-at'),
      offlineAtS: num('offline-at'),
      reconnectAfterS: num('reconnect-after'),
      excursionAtS: num('excursion-at'),
      excursionForS: num('excursion-for'),
      excursionC: num('excursion-c'),
    }).filter(([, v]) => v !== undefined),
  );
  if (faults['excursionAtS'] !== undefined && (faults['excursionForS'] === undefined || faults['excursionC'] === undefined))
    throw new ConfigError('--excursion-at needs --excursion-for (real seconds) and --excursion-c (°C)');
  return {
    help: false,
    quiet: values.quiet === true,
    summaryIntervalS: num('summary-interval') ?? 10,
    fleet,
    ...(values.scenario ? { scenario: values.scenario } : {}),
    faults,
  };
}

function generateSensors(count: number, profile: string, prefix?: string, password?: string, location?: string): unknown[] {
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('--count must be a positive integer');
  if (!['fridge', 'room', 'mixed'].includes(profile)) throw new ConfigError(`--profile must be fridge, room or mixed, got '${profile}'`);
  return Array.from({ length: count }, (_, i) => {
    const kind = profile === 'mixed' ? (i % 4 === 3 ? 'room' : 'fridge') : profile;
    const p = prefix ?? (kind === 'room' ? 'ROOM-' : 'FRIDGE-');
    return { deviceId: `${p}${String(i + 1).padStart(4, '0')}`, profile: kind, password, location };
  });
}
