/**
 * The demo as a library: starts the control plane in-process, seeds the demo hospital over
 * the HTTP API, starts the simulated devices and runs the pharmacy, ward and fault loops.
 * `stop()` ends the loops, then the simulators, then the server. Used by main.ts (`npm run
 * demo`) and by the demo's end-to-end spec.
 */
import { join } from 'node:path';
import { loadAnchorKeys } from '../../apps/control-plane/src/audit-anchor/anchor-keys.js';
import { startControlPlane, type ControlPlane } from '../../apps/control-plane/src/bootstrap.js';
import type { AppConfig } from '../../apps/control-plane/src/config/config.js';
import { startWitness, type WitnessServer } from '../../apps/control-plane/src/witness/witness.js';
import { Session } from './api.js';
import { DEMO_USER_PASSWORD, DEMO_WARDS, type DemoUser } from './data.js';
import { startDevices, stockCabinets, type DemoDevices } from './devices.js';
import { AlarmWatch, FaultInjector } from './faults.js';
import { Loops, type Log } from './loops.js';
import { PharmacyBot } from './pharmacy-bot.js';
import { seed } from './seed.js';
import { WardBot, type WardBotOptions } from './ward-bot.js';

export interface DemoOptions extends WardBotOptions {
  /** simulated seconds per real second for robots and sensors (cabinets run in real time) */
  timeScale: number;
  /** real ms between new orders */
  orderEveryMs: number;
  /** real ms between pharmacy rounds (build and dispatch deliveries) */
  pharmacyEveryMs: number;
  /** real ms between looks at the wards */
  wardEveryMs: number;
  /** leave every n-th new order for a person to verify and send at the pharmacy (0 = none) */
  humanShareEvery: number;
  /** real ms between injected faults; 0 = none */
  faultEveryMs: number;
  /** the first fault comes this long after start */
  firstFaultMs: number;
  /** run an outside witness of the custody log in-process (its files in <DATA_DIR>/witness) */
  witness: boolean;
  log: Log;
}

export const DEFAULT_OPTIONS: Omit<DemoOptions, 'log'> = {
  timeScale: 10,
  orderEveryMs: 20_000,
  pharmacyEveryMs: 5_000,
  wardEveryMs: 2_000,
  receiveDelayMs: 6_000,
  administerDelayMs: 10_000,
  humanTimeoutMs: 4 * 60_000,
  leaveForHumans: true,
  humanShareEvery: 3,
  faultEveryMs: 75_000,
  firstFaultMs: 45_000,
  witness: true,
};

export interface Demo {
  cp: ControlPlane;
  httpUrl: string;
  mqttUrl: string;
  users: DemoUser[];
  pharmacy: PharmacyBot;
  ward: WardBot;
  faults: FaultInjector;
  devices: DemoDevices;
  loops: Loops;
  /** the outside witness the checkpoints are pushed to (null: options.witness off) */
  witness: WitnessServer | null;
  stop(): Promise<void>;
}

/**
 * The witness a hospital would have run by someone else, here beside the demo: it takes the
 * log's key from the key file the control plane is about to use (made now if absent, as the
 * server's first boot would), so it must start first.
 */
async function demoWitness(config: AppConfig): Promise<WitnessServer> {
  const log = loadAnchorKeys(config.audit);
  const dir = join(config.dataDir, 'witness');
  const own = loadAnchorKeys({
    origin: 'medloop-demo-witness',
    keyFile: join(dir, 'witness.key'),
    publicKeysFile: null,
    variables: { keyFile: 'WITNESS_KEY_FILE', name: 'WITNESS_NAME' },
  });
  return startWitness({
    host: '127.0.0.1',
    port: 0,
    dir,
    logKeys: [log.signer.verifierKey, ...log.retired.map((k) => k.verifierKey)],
    signer: { name: own.signer.name, privateKey: own.signer.privateKey },
  });
}

export async function startDemo(appConfig: AppConfig, adminPassword: string, options: DemoOptions): Promise<Demo> {
  const { log } = options;
  const witness = options.witness ? await demoWitness(appConfig) : null;
  const config = witness ? { ...appConfig, audit: { ...appConfig.audit, witnessUrls: [...appConfig.audit.witnessUrls, witness.url] } } : appConfig;
  let cp: ControlPlane;
  try {
    cp = await startControlPlane(config, { shutdownHooks: false });
  } catch (err) {
    await witness?.close();
    throw err;
  }
  const httpUrl = `http://127.0.0.1:${cp.httpPort}`;
  const mqttUrl = `mqtt://127.0.0.1:${cp.mqttPorts.tcp}`;
  let devices: DemoDevices | undefined;
  const loops = new Loops(log);
  try {
    const { seeded, admin } = await seed(httpUrl, adminPassword);
    devices = await startDevices(admin, seeded, mqttUrl, options.timeScale);
    const session = (username: string) => new Session(httpUrl, username, DEMO_USER_PASSWORD);
    const pharmacist = session('pharm.alice');
    const pharmacy = new PharmacyBot(pharmacist, session('pharm.bob'), seeded, log, {
      humanShareEvery: options.humanShareEvery,
      humanTimeoutMs: options.humanTimeoutMs,
    });
    const nurses = new Map(
      DEMO_WARDS.map((w) => {
        const user = seeded.users.find((u) => u.role === 'nurse' && u.wards?.includes(w.id))!;
        return [w.id, { user, session: session(user.username) }] as const;
      }),
    );
    const ward = new WardBot(nurses, session('wardpharm.eve'), admin, seeded, loops, log, options);
    const faults = new FaultInjector(devices, seeded, loops, log, options.timeScale, admin);
    const alarms = new AlarmWatch(admin, log);

    loops.after(0, 'stock cabinets', () => stockCabinets(pharmacist, seeded, log, () => loops.active));
    loops.every('new order', options.orderEveryMs, async () => void (await pharmacy.newOrder()), 500);
    loops.every('pharmacy round', options.pharmacyEveryMs, () => pharmacy.round(), 1_500);
    loops.every('ward round', options.wardEveryMs, () => ward.tick(), options.wardEveryMs);
    loops.every('alarm watch', 2_000, () => alarms.tick(), 1_000);
    if (options.faultEveryMs > 0) loops.every('fault', options.faultEveryMs, () => faults.injectNext(), options.firstFaultMs);

    let stopping: Promise<void> | undefined;
    const dev = devices;
    return {
      cp,
      httpUrl,
      mqttUrl,
      users: seeded.users,
      pharmacy,
      ward,
      faults,
      devices: dev,
      loops,
      witness,
      stop: () =>
        (stopping ??= (async () => {
          await loops.stop();
          await dev.stop();
          await cp.close();
          await witness?.close();
        })()),
    };
  } catch (err) {
    await loops.stop();
    await devices?.stop();
    await cp.close().catch(() => undefined);
    await witness?.close();
    throw err;
  }
}
