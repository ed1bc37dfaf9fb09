/**
 * Command-line parsing for the robot simulator: flags override the JSON fleet file's
 * settings; without a file, flags describe one robot or `--count` identical ones.
 */
import { parseArgs } from 'node:util';
import { ConfigError, parseCompartmentList, parseFleetConfig, readFleetConfigFile, type FleetConfig } from './config.js';

export const USAGE = `MedLoop VDA 5050 robot simulator

usage: node dist/simulators/robot/main.js [--config fleet.json] [options]

connection and fleet
  --config <file>              JSON fleet config (settings + robots[]); flags below override its settings
  --broker <url>               MQTT broker (default mqtt://localhost:1883)
  --interface <name>           VDA 5050 interfaceName (default uagv)
  --vda-version <2.0.0|2.1.0>  protocol version spoken (default 2.1.0)
robots (without --config)
  --manufacturer <name>        default MedLoop
  --serial <serialNumber>      one robot (default SIM-0001)
  --count <n>                  n robots named <serial-prefix>0001.. (default 1)
  --serial-prefix <prefix>     default SIM-
  --username <u> --password <p> MQTT credentials issued by the control plane (username = device id)
  --node <nodeId> --x <m> --y <m> --map <mapId>   start node and position (default N0 at 0,0 on F1)
  --speed <m/s>                default 1
  --battery <percent>          default 100
  --compartments <list>        e.g. C1,C2,C3:cold (default C1,C2,C3:cold)
simulation
  --time-scale <factor>        10 = ten times faster than real time (default 1)
  --state-interval <s>         simulated seconds between periodic states (default 30)
  --visualization-interval <s> simulated seconds between visualization messages, 0 = off (default 0)
  --lift-time <s>              simulated seconds per lift ride (default 20)
  --chargers <ids>             nodes where charging works (default: any node)
faults (real seconds; apply to all robots or to --fault-robots)
  --fault-robots <serials>     comma-separated serial numbers
  --drop-orders <fraction>     lose this fraction of incoming orders (QoS 0)
  --drop-instant-actions <f>   lose this fraction of incoming instant actions
  --disconnect-after <s>       lose the connection (last will fires) ...
  --reconnect-after <s>        ... and reconnect this many seconds later
  --estop-after <s>            press the e-stop
  --fatal-after <s>            raise a FATAL error
  --stall-after <s>            stop moving while still reporting
  --low-battery <percent>      start with this battery charge
output
  --summary-interval <s>       real seconds between summary lines (default 10, 0 = off)
  --quiet                      no per-event lines, only summaries and problems
  --help                       this text`;

export interface FaultPlan {
  robots?: string[];
  dropOrders?: number;
  dropInstantActions?: number;
  disconnectAfterS?: number;
  reconnectAfterS?: number;
  estopAfterS?: number;
  fatalAfterS?: number;
  stallAfterS?: number;
  lowBattery?: number;
}

export type CliOptions = { help: true } | RunOptions;

export interface RunOptions {
  help: false;
  quiet: boolean;
  summaryIntervalS: number;
  fleet: FleetConfig;
  faults: FaultPlan;
}

const str = { type: 'string' } as const;

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean' },
      quiet: { type: 'boolean' },
      config: str,
      broker: str,
      interface: str,
      'vda-version': str,
      manufacturer: str,
      serial: str,
      count: str,
      'serial-prefix': str,
      username: str,
      password: str,
      node: str,
      x: str,
      y: str,
      map: str,
      speed: str,
      battery: str,
      compartments: str,
      'time-scale': str,
      'state-interval': str,
      'visualization-interval': str,
      'lift-time': str,
      chargers: str,
      'fault-robots': str,
      'drop-orders': str,
      'drop-instant-actions': str,
      'disconnect-after': str,
      'reconnect-after': str,
      'estop-after': str,
      'fatal-after': str,
      'stall-after': str,
      'low-battery': str,
      'summary-interval': str,
    },
  });
  const num = (flag: keyof typeof values): number | undefined => {
    const raw = values[flag];
    if (raw === undefined || typeof raw !== 'string') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ConfigError(`--${flag} must be a number, got '${raw}'`);
    return n;
  };
  if (values.help === true) return { help: true };
  const base = (values.config ? readFleetConfigFile(values.config) : {}) as Record<string, unknown>;
  const overrides = Object.fromEntries(
    Object.entries({
      brokerUrl: values.broker,
      interfaceName: values.interface,
      version: values['vda-version'],
      timeScale: num('time-scale'),
      stateIntervalS: num('state-interval'),
      visualizationIntervalS: num('visualization-interval'),
      liftTimeS: num('lift-time'),
      chargerNodeIds: values.chargers?.split(',').filter(Boolean),
    }).filter(([, v]) => v !== undefined),
  );
  const robots = base['robots'] ?? generateRobots(values, num);
  const fleet = parseFleetConfig({ ...base, ...overrides, robots }, values.config ?? 'command line');
  const faults: FaultPlan = Object.fromEntries(
    Object.entries({
      robots: values['fault-robots']?.split(',').filter(Boolean),
      dropOrders: num('drop-orders'),
      dropInstantActions: num('drop-instant-actions'),
      disconnectAfterS: num('disconnect-after'),
      reconnectAfterS: num('reconnect-after'),
      estopAfterS: num('estop-after'),
      fatalAfterS: num('fatal-after'),
      stallAfterS: num('stall-after'),
      lowBattery: num('low-battery'),
    }).filter(([, v]) => v !== undefined),
  );
  return { help: false, quiet: values.quiet === true, summaryIntervalS: num('summary-interval') ?? 10, fleet, faults };
}

function generateRobots(values: Record<string, string | boolean | undefined>, num: (flag: never) => number | undefined): unknown[] {
  const n = (flag: string) => num(flag as never);
  const count = n('count') ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(`--count must be a positive integer`);
  const prefix = (values['serial-prefix'] as string | undefined) ?? 'SIM-';
  return Array.from({ length: count }, (_, i) => ({
    manufacturer: values['manufacturer'],
    serialNumber: count === 1 && values['serial'] ? values['serial'] : `${prefix}${String(i + 1).padStart(4, '0')}`,
    username: values['username'],
    password: values['password'],
    initialNode: {
      nodeId: (values['node'] as string | undefined) ?? 'N0',
      x: n('x') ?? 0,
      y: n('y') ?? 0,
      mapId: (values['map'] as string | undefined) ?? 'F1',
    },
    speed: n('speed'),
    battery: n('battery'),
    compartments: typeof values['compartments'] === 'string' ? parseCompartmentList(values['compartments']) : undefined,
  }));
}
