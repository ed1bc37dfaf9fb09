/**
 * The web UI in a real browser (headless Debian Chromium driven by playwright-core) against
 * the real server: a nurse signs in, watches a simulated robot drive to her ward's station on
 * the live floor map, and acknowledges an alarm that arrives while she watches. Screenshots go
 * to test-output/web-ui/ for a person to look at.
 *
 * Needs the built UI (`npm run build`, which `npm test` runs first) and /usr/bin/chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestApp, waitForAsync, type TestApp } from '#testing';
import { parseFleetConfig, RobotSimulator } from '../../../simulators/robot/index.js';
import { AlarmsService } from '../src/alarms/alarms.service.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = 'test-output/web-ui';

describe('web UI in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let sim: RobotSimulator | undefined;
  const pages: Page[] = [];

  beforeAll(async () => {
    if (!existsSync('dist/apps/web/index.html')) throw new Error('the web UI is not built: run `npm run build` first');
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestApp({ DISPATCH_INTERVAL_MS: '150', ORDER_ACK_TIMEOUT_MS: '1000', LIVE_POSITION_HZ: '4' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await sim?.stop().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  async function user(role: string, wards?: string[]): Promise<{ username: string; password: string }> {
    const username = `${role.replace('_', '-')}-ui-${Math.random().toString(36).slice(2, 7)}`;
    const password = 'a-long-test-password';
    const r = await t.api('POST', '/api/users', { token: t.adminToken, body: { username, password, role, ...(wards ? { wards } : {}) } });
    expect(r.status).toBe(201);
    return { username, password };
  }

  async function signIn(who: { username: string; password: string }, viewport = { width: 1440, height: 1000 }): Promise<Page> {
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    pages.push(page);
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(t.baseUrl + '/');
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-link="live"]').waitFor({ timeout: 10_000 });
    return page;
  }

  async function startRobot(): Promise<string> {
    const reg = await t.registerDevice({ kind: 'robot', name: 'Robot Aria', manufacturer: 'MedLoop', serialNumber: 'UI-1' });
    const cfg = parseFleetConfig({
      interfaceName: 'uagv',
      timeScale: 12,
      stateIntervalS: 10,
      tickMs: 50,
      liftTimeS: 10,
      reconnectPeriodMs: 200,
      brokerUrl: t.mqttUrl,
      version: '2.1.0',
      robots: [
        {
          manufacturer: 'MedLoop',
          serialNumber: 'UI-1',
          username: reg.credentials.username,
          password: reg.credentials.password,
          initialNode: { nodeId: 'F0-PHARMACY-DOCK', x: 5, y: 5, mapId: 'F0' },
          speed: 1.2,
          battery: 90,
        },
      ],
    });
    const { robots, ...settings } = cfg;
    // the dock's real coordinates, so the robot starts where the map draws the dock
    const site = (await t.api('GET', '/api/site', { token: t.adminToken })).body as { nodes: { id: string; x: number; y: number; floor: string }[] };
    const dock = site.nodes.find((n) => n.id === 'F0-PHARMACY-DOCK')!;
    robots[0]!.initialNode = { nodeId: dock.id, x: dock.x, y: dock.y, mapId: dock.floor };
    sim = new RobotSimulator({ robot: robots[0]!, settings });
    await sim.start();
    await waitForAsync(async () => (await t.api('GET', `/api/robots/${reg.device.id}`, { token: t.adminToken })).body.battery !== null, 10_000, 'robot state');
    return reg.device.id as string;
  }

  it('shows a nurse her ward live: a robot arriving on the floor map, then an alarm she acknowledges', async () => {
    const robotId = await startRobot();
    const nurse = await user('nurse', ['W-CARD']);
    const page = await signIn(nurse);
    expect(page.url()).toContain('#/nurse/W-CARD');
    await expect(page.locator('header .title').textContent()).resolves.toContain('Cardiology');
    // the floor map is the ward's floor, drawn from the site with the ward's station marked
    const map = page.locator('#map figure.map');
    await expect(map.getAttribute('data-floor')).resolves.toBe('F1');
    expect(await page.locator('#map .station.mine').count()).toBe(1);
    // the custody panels never show invented records: an empty or "not available yet" state
    await page.locator('#arrivals .empty').first().waitFor();
    await page.locator('#doses .empty').first().waitFor();
    expect(await page.locator('#arrivals .error, #doses .error').count()).toBe(0);
    expect(await page.locator('#incoming').textContent()).toContain('No robot is on its way');
    await page.screenshot({ path: `${SHOTS}/01-nurse-station-idle.png`, fullPage: true });

    const station = (await t.api('GET', '/api/site', { token: t.adminToken })).body.nodes.find((n: { id: string }) => n.id === 'F1-CARD-STATION');
    const r = await t.api('POST', '/api/missions', {
      token: t.adminToken,
      body: {
        stops: [
          { nodeId: 'F0-PHARMACY-DOCK', actions: [] },
          { nodeId: 'F1-CARD-STATION', actions: [] },
        ],
        priority: 'urgent',
        requiredRobotId: robotId,
      },
    });
    expect(r.status).toBe(201);
    // the delivery shows as incoming at once (pushed, not polled)
    await page.locator(`#incoming [data-mission="${r.body.id}"]`).waitFor({ timeout: 5_000 });

    // the robot appears on the cardiology floor when the lift brings it up, and moves
    const robot = page.locator(`#map [data-robot="${robotId}"]`);
    await robot.waitFor({ timeout: 60_000 });
    const seen: { x: number; y: number }[] = [];
    let shotMoving = false;
    const arrived = await waitForAsync(
      async () => {
        const x = Number(await robot.getAttribute('data-x'));
        const y = Number(await robot.getAttribute('data-y'));
        if (seen.length === 0 || seen.at(-1)!.x !== x || seen.at(-1)!.y !== y) seen.push({ x, y });
        if (!shotMoving && seen.length >= 3) {
          shotMoving = true;
          await page.screenshot({ path: `${SHOTS}/02-robot-on-the-way.png`, fullPage: true });
        }
        return Math.hypot(x - station.x, y - station.y) < 0.5 ? { x, y } : null;
      },
      90_000,
      'robot at the cardiology station on the map',
    );
    expect(arrived).toBeTruthy();
    // it was drawn moving, not teleported: several distinct positions on the way
    expect(seen.length).toBeGreaterThanOrEqual(3);
    await page.locator(`#arrivals [data-mission="${r.body.id}"][data-status="finished"]`).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/03-robot-arrived.png`, fullPage: true });

    // an alarm raised on the ward reaches the open page live; the nurse acknowledges it there
    const alarm = await t.cp.app.get(AlarmsService).raise({
      key: 'cold_chain.excursion:FRIDGE-CARD-1',
      type: 'cold_chain.excursion',
      severity: 'critical',
      ward: 'W-CARD',
      sourceKind: 'sensor',
      sourceId: 'FRIDGE-CARD-1',
      message: 'Medication fridge CARD-1 at 9.4 °C (allowed 2–8 °C)',
    });
    const item = page.locator(`#alarms [data-alarm="${alarm.id}"]`);
    await item.waitFor({ timeout: 5_000 });
    expect(await item.getAttribute('data-state')).toBe('raised');
    await page.screenshot({ path: `${SHOTS}/04-alarm-raised.png`, fullPage: true });
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator(`#alarms [data-alarm="${alarm.id}"][data-state="acknowledged"]`).waitFor({ timeout: 5_000 });
    expect(await item.textContent()).toContain(`acknowledged by ${nurse.username}`);
    const stored = (await t.api('GET', `/api/alarms/${alarm.id}`, { token: t.adminToken })).body;
    expect(stored.state).toBe('acknowledged');
    expect(stored.acknowledged.by).toBe(nurse.username);
    await page.screenshot({ path: `${SHOTS}/05-alarm-acknowledged.png`, fullPage: true });
  }, 180_000);

  it('tells a nurse who opens another ward that she is not assigned to it', async () => {
    const nurse = await user('nurse', ['W-CARD']);
    const page = await signIn(nurse);
    await page.goto(`${t.baseUrl}/#/nurse/W-ONC`);
    const banner = page.locator('[data-error="ward_forbidden"]');
    await banner.waitFor({ timeout: 5_000 });
    expect(await banner.textContent()).toContain("not assigned to ward 'W-ONC'");
  });

  it('renders the pharmacy console and the phone-sized ward round', async () => {
    const ph = await signIn(await user('pharmacist'));
    expect(ph.url()).toContain('#/pharmacy');
    await ph.locator('#fleet figure.map').waitFor();
    expect(await ph.locator('#fleet [data-robot-row]').count()).toBeGreaterThanOrEqual(1);
    await ph.screenshot({ path: `${SHOTS}/06-pharmacy-console.png`, fullPage: true });

    const wp = await signIn(await user('ward_pharmacist'), { width: 390, height: 844 });
    expect(wp.url()).toContain('#/rounds');
    await wp.locator('#cold').waitFor();
    // the acknowledged fridge alarm of the first test is still open on cardiology
    await wp.locator('#cold [data-alarm]').first().waitFor({ timeout: 5_000 });
    await wp.screenshot({ path: `${SHOTS}/07-ward-round-phone.png`, fullPage: true });
  }, 60_000);
});
