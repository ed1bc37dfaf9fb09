/**
 * CLI entry: `node dist/simulators/robot/main.js --help`. Starts a fleet of simulated
 * VDA 5050 robots, applies the requested faults, prints events and periodic summaries,
 * and says OFFLINE for every robot on Ctrl-C.
 */
import { parseCli, USAGE, type FaultPlan } from './cli.js';
import { ConfigError } from './config.js';
import { Fleet, formatSummary } from './fleet.js';

const stamp = () => new Date().toISOString().slice(11, 23);

function scheduleFaults(fleet: Fleet, plan: FaultPlan, log: (line: string) => void): NodeJS.Timeout[] {
  const targets = plan.robots ? fleet.robots.filter((r) => plan.robots!.includes(r.serialNumber)) : fleet.robots;
  const timers: NodeJS.Timeout[] = [];
  const later = (seconds: number | undefined, what: string, run: () => void) => {
    if (seconds === undefined) return;
    timers.push(
      setTimeout(() => {
        log(`fault: ${what} on ${targets.length} robot(s)`);
        run();
      }, seconds * 1000),
    );
  };
  for (const robot of targets) {
    if (plan.dropOrders !== undefined) robot.faults.dropIncoming(plan.dropOrders, ['order']);
    if (plan.dropInstantActions !== undefined) robot.faults.dropIncoming(plan.dropInstantActions, ['instantActions']);
    if (plan.lowBattery !== undefined) robot.faults.lowBattery(plan.lowBattery);
  }
  later(plan.disconnectAfterS, 'disconnect', () => targets.forEach((r) => void r.faults.disconnect(plan.reconnectAfterS)));
  later(plan.estopAfterS, 'e-stop', () => targets.forEach((r) => r.faults.eStop('MANUAL')));
  later(plan.fatalAfterS, 'fatal error', () => targets.forEach((r) => r.faults.fatal()));
  later(plan.stallAfterS, 'stall', () => targets.forEach((r) => r.faults.stall()));
  return timers;
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const out = (line: string) => console.log(`${stamp()} ${line}`);
  const fleet = new Fleet(cli.fleet, cli.quiet ? {} : { log: out });
  const { brokerUrl, version, timeScale } = cli.fleet;
  out(`starting ${fleet.robots.length} robot(s), VDA 5050 ${version}, broker ${brokerUrl}, time scale ${timeScale}`);
  await fleet.start();
  const timers = scheduleFaults(fleet, cli.faults, out);
  const summary = cli.summaryIntervalS > 0 ? setInterval(() => out(formatSummary(fleet.summary())), cli.summaryIntervalS * 1000) : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`${signal}: stopping (OFFLINE)`);
    timers.forEach(clearTimeout);
    clearInterval(summary);
    await fleet.stop();
    out(formatSummary(fleet.summary()));
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exitCode = 1;
});
