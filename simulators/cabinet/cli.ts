/**
 * Command-line parsing for the cabinet simulator: flags override the JSON fleet file's
 * settings; without a file, `--count` cabinets with the default layout are generated.
 */
import { parseArgs } from 'node:util';
import { ConfigError, readJsonFile } from '../sensor/config.js';
import { defaultLayout } from './cabinet-model.js';
import { parseCabinetFleetConfig, type CabinetFleetConfig } from './config.js';

export const USAGE = `MedLoop smart cabinet simulator (MQTT, protocol v1)

usage: node dist/simulators/cabinet/main.js [--config cabinets.json] [options]

connection and fleet
  --config <file>            JSON fleet config (settings + cabinets[]); flags below override its settings
  --broker <url>             MQTT broker (default mqtt://localhost:1883)
cabinets (without --config)
  --count <n>                number of cabinets (default 1), ids <prefix>0001..
  --prefix <p>               default CAB-
  --password <secret>        MQTT password for every cabinet (username = device id)
  --drawers <n>              drawers per cabinet, the last one refrigerated (default 3)
  --pockets <n>              pockets per drawer (default 4)
simulation
  --time-scale <factor>      10 = ten times faster than real time (default 1)
  --report-interval <s>      simulated seconds between telemetry messages (default 60)
  --open-delay <s>           seconds between an unlock and the pocket opening (default 4)
  --access <s>               seconds a pocket stays open (default 8)
  --abandon-rate <f>         fraction of unlocks nobody uses (default 0)
  --scenario <name|file>     run a scripted scenario (bundled: cabinet-tamper)
faults
  --ignore-commands <f>      swallow this fraction of commands without an ack
output
  --summary-interval <s>     real seconds between summary lines (default 10, 0 = off)
  --quiet                    no per-event lines
  --help                     this text`;

export type CabinetCli =
  { help: true } | { help: false; quiet: boolean; summaryIntervalS: number; fleet: CabinetFleetConfig; scenario?: string; ignoreCommands?: number };

const str = { type: 'string' } as const;

export function parseCabinetCli(argv: string[]): CabinetCli {
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
      password: str,
      drawers: str,
      pockets: str,
      'time-scale': str,
      'report-interval': str,
      'open-delay': str,
      access: str,
      'abandon-rate': str,
      scenario: str,
      'ignore-commands': str,
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
  const base = (values.config ? readJsonFile(values.config, 'cabinet config') : {}) as Record<string, unknown>;
  const overrides = Object.fromEntries(
    Object.entries({
      brokerUrl: values.broker,
      timeScale: num('time-scale'),
      reportIntervalS: num('report-interval'),
      openDelayS: num('open-delay'),
      accessS: num('access'),
      abandonRate: num('abandon-rate'),
    }).filter(([, v]) => v !== undefined),
  );
  const count = num('count') ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('--count must be a positive integer');
  const drawers = defaultLayout(num('drawers') ?? 3, num('pockets') ?? 4);
  const cabinets =
    base['cabinets'] ??
    Array.from({ length: count }, (_, i) => ({ deviceId: `${values.prefix ?? 'CAB-'}${String(i + 1).padStart(4, '0')}`, password: values.password, drawers }));
  const fleet = parseCabinetFleetConfig({ ...base, ...overrides, cabinets }, values.config ?? 'command line');
  const ignore = num('ignore-commands');
  return {
    help: false,
    quiet: values.quiet === true,
    summaryIntervalS: num('summary-interval') ?? 10,
    fleet,
    ...(values.scenario ? { scenario: values.scenario } : {}),
    ...(ignore !== undefined ? { ignoreCommands: ignore } : {}),
  };
}
