/**
 * CLI entry: `node dist/simulators/sensor/main.js --help`. Starts a fleet of simulated ward
 * sensors, applies the requested faults and scenario, prints events and periodic summaries,
 * and publishes `offline` for every sensor on Ctrl-C.
 */
import { deviceMatches, loadScenario, ScenarioError, scenarioTimeline, type ScenarioStep } from '../scenarios/scenario.js';
import { ScenarioRunner } from '../scenarios/scenario-runner.js';
import { parseSensorCli, USAGE, type SensorRunOptions } from './cli.js';
import { ConfigError } from './config.js';
import { formatSensorSummary, SensorFleet } from './sensor-fleet.js';

const stamp = () => new Date().toISOString().slice(11, 23);

/** The fault flags are a one-line scenario: same runner, same timing rules. */
function faultSteps(faults: SensorRunOptions['faults']): ScenarioStep[] {
  const steps: ScenarioStep[] = [];
  for (const d of faults.sensors ?? ['*']) {
    if (faults.driftCPerH !== undefined) steps.push({ atS: 0, device: d, action: 'drift', cPerHour: faults.driftCPerH });
    if (faults.doorOpenAtS !== undefined) {
      steps.push({ atS: faults.doorOpenAtS, device: d, action: 'doorOpen' });
      if (faults.doorOpenForS !== undefined) steps.push({ atS: faults.doorOpenAtS + faults.doorOpenForS, device: d, action: 'doorClose' });
    }
    if (faults.stuckAtS !== undefined) steps.push({ atS: faults.stuckAtS, device: d, action: 'stuck' });
    if (faults.excursionAtS !== undefined && faults.excursionForS !== undefined && faults.excursionC !== undefined)
      steps.push({ atS: faults.excursionAtS, device: d, action: 'excursion', durationS: faults.excursionForS, temperatureC: faults.excursionC });
    if (faults.offlineAtS !== undefined) {
      steps.push({
        atS: faults.offlineAtS,
        device: d,
        action: 'offline',
        ...(faults.reconnectAfterS !== undefined ? { reconnectAfterS: faults.reconnectAfterS } : {}),
      });
    }
  }
  return steps;
}

async function main(): Promise<void> {
  const cli = parseSensorCli(process.argv.slice(2));
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const out = (line: string) => console.log(`${stamp()} ${line}`);
  const scenario = cli.scenario ? loadScenario(cli.scenario) : undefined;
  const fleet = new SensorFleet(cli.fleet, cli.quiet ? {} : { log: out });
  const timeline = [...faultSteps(cli.faults), ...(scenario ? scenarioTimeline(scenario) : [])].sort((a, b) => a.atS - b.atS);
  const runner = new ScenarioRunner(timeline, { sensors: fleet.sensors }, out);
  fleet.onTick((s) => runner.advanceTo(s));
  if (scenario && !fleet.sensors.some((s) => scenario.steps.some((step) => deviceMatches(step.device, s.deviceId)))) {
    out(`warning: scenario '${scenario.name}' names no sensor of this fleet`);
  }
  const { brokerUrl, timeScale } = cli.fleet;
  out(`starting ${fleet.sensors.length} sensor(s), broker ${brokerUrl}, time scale ${timeScale}${scenario ? `, scenario ${scenario.name}` : ''}`);
  await fleet.start();
  const summary = cli.summaryIntervalS > 0 ? setInterval(() => out(formatSensorSummary(fleet.summary())), cli.summaryIntervalS * 1000) : undefined;

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    out(`${reason}: stopping (offline)`);
    clearInterval(summary);
    await fleet.stop();
    out(formatSensorSummary(fleet.summary()));
  };
  if (scenario?.durationS !== undefined) fleet.onTick((s) => s >= scenario.durationS! && void shutdown(`scenario ${scenario.name} finished`));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof ScenarioError ? err.message : err);
  process.exitCode = 1;
});
