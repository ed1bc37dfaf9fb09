/**
 * Soak — a simulated hospital at 10× speed against the built server (a child process): robots
 * (simulators/robot Fleet) taking missions on a schedule, ward sensors (simulators/sensor)
 * reporting, the control plane's RSS sampled every few seconds. Reports whether RSS is flat
 * within a few percent after warm-up (compares the mean of the first and last quarter of the
 * post-warm-up samples, and the least-squares slope). Not a test: bounded, run by hand.
 *
 *   node dist/bench/soak.js [--smoke] [--minutes=5] [--robots=8] [--sensors=40] [--warmup-s=60]
 *        [--sample-s=5] [--mission-every-ms=1500] [--flat-pct=5]
 */
import { Fleet, parseFleetConfig } from '../simulators/robot/index.js';
import { parseSensorFleetConfig, SensorFleet } from '../simulators/sensor/index.js';
import { num, parseArgs } from './lib/args.js';
import { MedloopServer } from './lib/medloop.js';
import { sleep } from './lib/ports.js';
import { rssBytes } from './lib/proc.js';
import { fmtBytes, Recorder } from './lib/results.js';
import { round } from './lib/stats.js';
import { printTable } from './lib/table.js';

const args = parseArgs();
const P = {
  minutes: num(args, 'minutes', 5, 1),
  robots: num(args, 'robots', 8, 3),
  sensors: num(args, 'sensors', 40, 10),
  warmupS: num(args, 'warmup-s', 60, 15),
  sampleS: num(args, 'sample-s', 5, 2),
  missionEveryMs: num(args, 'mission-every-ms', 1500, 1500),
  flatPct: num(args, 'flat-pct', 5, 5),
  timeScale: 10,
};
const STATIONS = ['F1-CARD-STATION', 'F1-SURG-STATION', 'F2-ONC-STATION', 'F3-PAED-STATION', 'F0-PHARMACY-DOCK'];

async function main(): Promise<void> {
  const rec = new Recorder('soak', 'Soak: simulated hospital at 10× speed, RSS over time', args.smoke ? 'smoke' : 'full', P);
  const server = await MedloopServer.start({ env: { ORDER_ACK_TIMEOUT_MS: '1000', DISPATCH_INTERVAL_MS: '250', ROBOT_OFFLINE_GRACE_MS: '20000' } });
  let fleet: Fleet | null = null;
  let sensors: SensorFleet | null = null;
  try {
    const robotCfg = [];
    for (let i = 0; i < P.robots; i++) {
      const sn = `SOAK-${i}`;
      const c = await server.registerDevice({ kind: 'robot', name: sn, manufacturer: 'MedLoop', serialNumber: sn });
      robotCfg.push({
        manufacturer: 'MedLoop',
        serialNumber: sn,
        username: c.username,
        password: c.password,
        initialNode: { nodeId: 'F0-PHARMACY-DOCK', x: 11, y: 8, mapId: 'F0' },
        speed: 1.2,
      });
    }
    fleet = new Fleet(
      parseFleetConfig({
        brokerUrl: server.mqttUrl,
        version: '2.1.0',
        timeScale: P.timeScale,
        tickMs: 100,
        stateIntervalS: 30,
        reconnectPeriodMs: 500,
        robots: robotCfg,
      }),
    );
    const sensorCfg = [];
    for (let i = 0; i < P.sensors; i++) {
      const c = await server.registerDevice({ kind: 'sensor', name: `soak sensor ${i}`, ward: ['W-CARD', 'W-SURG', 'W-ONC', 'W-PAED'][i % 4] });
      sensorCfg.push({ deviceId: c.username, password: c.password, profile: i % 5 === 0 ? ('room' as const) : ('fridge' as const) });
    }
    sensors = new SensorFleet(
      parseSensorFleetConfig({
        brokerUrl: server.mqttUrl,
        timeScale: P.timeScale,
        reportIntervalS: 30,
        tickMs: 200,
        reconnectPeriodMs: 1000,
        sensors: sensorCfg,
      }),
    );
    await fleet.start();
    await sensors.start();

    const started = Date.now();
    const endAt = started + P.minutes * 60_000;
    const samples: { tS: number; rss: number }[] = [];
    let missions = 0;
    let missionErrors = 0;
    let nextMission = Date.now();
    let nextSample = Date.now();
    for (let tick = 0; Date.now() < endAt && tick < 1_000_000; tick++) {
      const now = Date.now();
      if (now >= nextMission) {
        nextMission += P.missionEveryMs;
        const r = await server
          .api('POST', '/api/missions', { stops: [{ nodeId: STATIONS[missions % STATIONS.length], actions: [] }], priority: 'routine' })
          .catch(() => ({ status: 0 }));
        if (r.status === 201) missions++;
        else missionErrors++;
      }
      if (now >= nextSample) {
        nextSample += P.sampleS * 1000;
        const rss = rssBytes(server.pid);
        if (rss !== null) samples.push({ tS: (now - started) / 1000, rss });
        if (samples.length % 6 === 1) process.stderr.write(`[soak] t=${Math.round((now - started) / 1000)} s rss=${fmtBytes(rss ?? 0)} missions=${missions}\n`);
      }
      await sleep(100);
    }
    if (!server.running) throw new Error('the server died during the soak');

    const done = await server.api('GET', '/api/missions?status=finished');
    const finished = Array.isArray(done.body) ? done.body.length : null;
    const after = samples.filter((s) => s.tS >= P.warmupS);
    const q = Math.max(1, Math.floor(after.length / 4));
    const mean = (xs: { rss: number }[]) => xs.reduce((a, s) => a + s.rss, 0) / Math.max(1, xs.length);
    const firstQ = mean(after.slice(0, q));
    const lastQ = mean(after.slice(-q));
    const driftPct = ((lastQ - firstQ) / firstQ) * 100;
    const n = after.length;
    const mx = after.reduce((a, s) => a + s.tS, 0) / Math.max(1, n);
    const my = mean(after);
    const slope =
      after.reduce((a, s) => a + (s.tS - mx) * (s.rss - my), 0) /
      Math.max(
        1e-9,
        after.reduce((a, s) => a + (s.tS - mx) ** 2, 0),
      );
    const slopePctPerMin = ((slope * 60) / my) * 100;
    const flat = Math.abs(driftPct) <= P.flatPct;
    const summary = fleet.summary();

    const rows = [
      { figure: 'duration', value: `${P.minutes} min at ${P.timeScale}× (${round((P.minutes * P.timeScale) / 60, 1)} simulated hours)` },
      { figure: 'robots / sensors', value: `${P.robots} / ${P.sensors}` },
      { figure: 'missions created / finished / create errors', value: `${missions} / ${finished ?? '?'} / ${missionErrors}` },
      { figure: 'robot states published', value: summary.statesPublished },
      { figure: 'RSS samples (after warm-up)', value: `${samples.length} (${n})` },
      { figure: 'RSS min / max after warm-up', value: `${fmtBytes(Math.min(...after.map((s) => s.rss)))} / ${fmtBytes(Math.max(...after.map((s) => s.rss)))}` },
      { figure: 'RSS first vs last quarter (mean)', value: `${fmtBytes(firstQ)} → ${fmtBytes(lastQ)} (${round(driftPct, 2)} %)` },
      { figure: 'RSS trend (least squares)', value: `${round(slopePctPerMin, 3)} %/min` },
      { figure: `flat within ±${P.flatPct} %`, value: flat ? 'yes' : 'NO' },
    ];
    printTable('Soak', rows);
    rec.table('Soak', rows);
    rec.target('RSS flat after warm-up', `|last quarter − first quarter| ≤ ${P.flatPct} %`, round(driftPct, 2), flat);
    rec.raw = { samples };
    const r = rec.finish();
    process.stdout.write(`saved ${r.paths.json} and ${r.paths.md}\n`);
    if (!flat) process.exitCode = 1;
  } finally {
    await sensors?.stop().catch(() => undefined);
    await fleet?.stop().catch(() => undefined);
    await server.stop();
    server.removeDataDir();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
