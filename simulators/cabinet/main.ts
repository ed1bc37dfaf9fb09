/**
 * CLI entry: `node dist/simulators/cabinet/main.js --help`. Starts simulated smart cabinets
 * that answer unlock/lockdown/count commands with acks, publish pocket events and telemetry,
 * run an optional scenario, and publish `offline` for every cabinet on Ctrl-C.
 */
import { loadScenario, ScenarioError, scenarioTimeline } from '../scenarios/scenario.js';
import { ScenarioRunner } from '../scenarios/scenario-runner.js';
import { ConfigError } from '../sensor/config.js';
import { CabinetFleet, formatCabinetSummary } from './cabinet-fleet.js';
import { parseCabinetCli, USAGE } from './cli.js';

const stamp = () => new Date().toISOString().slice(11, 23);

async function main(): Promise<void> {
  const cli = parseCabinetCli(process.argv.slice(2));
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const out = (line: string) => console.log(`${stamp()} ${line}`);
  const scenario = cli.scenario ? loadScenario(cli.scenario) : undefined;
  const fleet = new CabinetFleet(cli.fleet, cli.quiet ? {} : { log: out });
  if (cli.ignoreCommands !== undefined) for (const c of fleet.cabinets) c.faults.ignoreCommands(cli.ignoreCommands);
  if (scenario) {
    const runner = new ScenarioRunner(scenarioTimeline(scenario), { cabinets: fleet.cabinets }, out);
    fleet.onTick((s) => runner.advanceTo(s));
  }
  out(
    `starting ${fleet.cabinets.length} cabinet(s), broker ${cli.fleet.brokerUrl}, time scale ${cli.fleet.timeScale}${scenario ? `, scenario ${scenario.name}` : ''}`,
  );
  await fleet.start();
  const summary = cli.summaryIntervalS > 0 ? setInterval(() => out(formatCabinetSummary(fleet.summary())), cli.summaryIntervalS * 1000) : undefined;

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    out(`${reason}: stopping (offline)`);
    clearInterval(summary);
    await fleet.stop();
    out(formatCabinetSummary(fleet.summary()));
  };
  if (scenario?.durationS !== undefined) fleet.onTick((s) => s >= scenario.durationS! && void shutdown(`scenario ${scenario.name} finished`));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof ScenarioError ? err.message : err);
  process.exitCode = 1;
});
