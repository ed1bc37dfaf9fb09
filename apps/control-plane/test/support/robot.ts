/**
 * One simulated VDA 5050 robot in the test process, at the pharmacy dock, registered over the
 * HTTP API and running at 40× speed; answers once the server has its first state and its
 * factsheet (VDA 5050 2.0 and 2.1), which loading and dispatch check for the delivery actions.
 */
import { waitForAsync } from '#testing';
import { parseFleetConfig, RobotSimulator } from '../../../../simulators/robot/index.js';

async function http(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token: string; body?: unknown },
): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${opts.token}`, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

export async function startRobot(
  baseUrl: string,
  mqttUrl: string,
  adminToken: string,
  sn: string,
  opts: {
    timeScale?: number;
    reconnectPeriodMs?: number;
    random?: () => number;
    stateIntervalS?: number;
    version?: '2.0.0' | '2.1.0';
    /** false: the robot never publishes a factsheet (plain transport only) */
    factsheet?: boolean;
    /** where it starts; the pharmacy dock by default */
    initialNode?: { nodeId: string; x: number; y: number; mapId: string };
  } = {},
): Promise<{ sim: RobotSimulator; id: string; credentials: { username: string; password: string } }> {
  const reg = await http(baseUrl, 'POST', '/api/devices', { token: adminToken, body: { kind: 'robot', name: sn, manufacturer: 'MedLoop', serialNumber: sn } });
  if (reg.status !== 201) throw new Error(`register robot: ${reg.status} ${reg.text}`);
  const cfg = parseFleetConfig({
    brokerUrl: mqttUrl,
    version: opts.version ?? '2.1.0',
    timeScale: opts.timeScale ?? 40,
    tickMs: 50,
    liftTimeS: 20,
    stateIntervalS: opts.stateIntervalS ?? 10,
    reconnectPeriodMs: opts.reconnectPeriodMs ?? 200,
    factsheet: opts.factsheet ?? true,
    robots: [
      {
        manufacturer: 'MedLoop',
        serialNumber: sn,
        username: reg.body.credentials.username,
        password: reg.body.credentials.password,
        initialNode: opts.initialNode ?? { nodeId: 'F0-PHARMACY-DOCK', x: 11, y: 8, mapId: 'F0' },
        speed: 1.2,
      },
    ],
  });
  const { robots, ...settings } = cfg;
  const sim = new RobotSimulator({ robot: robots[0]!, settings, ...(opts.random ? { random: opts.random } : {}) });
  await sim.start();
  const id = reg.body.device.id as string;
  const ready = (r: { battery?: unknown; factsheetActions?: unknown } | null) => r?.battery != null && (!settings.factsheet || r.factsheetActions != null);
  await waitForAsync(
    async () => ready((await http(baseUrl, 'GET', `/api/robots/${id}`, { token: adminToken })).body),
    10_000,
    `robot ${sn} state and factsheet`,
  );
  return { sim, id, credentials: reg.body.credentials };
}
