/**
 * The web UI in a real browser (headless Debian Chromium driven by playwright-core) against
 * the real server: a nurse signs in, watches a simulated robot bring a custody delivery to her
 * ward's station on the live floor map, unlocks its compartment and scans the dose in from the
 * page, checks the five rights at the bedside, and acknowledges an alarm that arrives while she
 * watches; a pharmacist builds a delivery step by step; a ward-round pharmacist opens the dose's
 * hash-chained timeline on a phone. Screenshots go to test-output/web-ui/ for a person to look at.
 *
 * Needs the built UI (`npm run build`, which `npm test` runs first) and /usr/bin/chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { deviceTopic } from '#contracts';
import { connectMqtt, keyedUnit as keyedUnitOf, unitBarcode, waitForAsync, withCheck, wristband } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';
import { parseFleetConfig, RobotSimulator } from '../../../simulators/robot/index.js';
import { AlarmsService } from '../src/alarms/alarms.service.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = 'test-output/web-ui';
const GTIN = withCheck('0950600017788');
const WRISTBAND_GSRN = withCheck('80180000000000777');
/** the raw DataMatrix stream (what the pharmacy API receives) and the bracketed form a person keys in */
const rawUnit = (serial: string) => unitBarcode(GTIN, serial, { lot: 'LOT7' });
const keyedUnit = (serial: string) => keyedUnitOf(GTIN, serial, { lot: 'LOT7' });

describe('web UI in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  const sims: RobotSimulator[] = [];
  let robotId: string;
  let pharmacist: { token: string };
  let medicationId: string;
  /** the cardiology patient of the first test and the dose the nurse received and gave */
  let patient: { id: string; gsrn: string };
  let deliveredDose: string;
  const pages: Page[] = [];

  beforeAll(async () => {
    if (!existsSync('dist/apps/web/index.html')) throw new Error('the web UI is not built: run `npm run build` first');
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestApp({ DISPATCH_INTERVAL_MS: '150', ORDER_ACK_TIMEOUT_MS: '1000', LIVE_POSITION_HZ: '4' });
    pharmacist = await t.userToken('pharmacist');
    medicationId = (await ph('POST', '/api/medications', { gtin: GTIN, name: 'Amoxicillin', strength: '500 mg', route: 'oral' })).body.id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop().catch(() => undefined)));
    await browser?.close();
    await t?.close();
  });

  async function ph(method: string, path: string, body?: unknown) {
    const r = await t.api(method, path, { token: pharmacist.token, ...(body !== undefined ? { body } : {}) });
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  }

  /** A new order for a patient (active; verified unless asked not to), due in ten minutes. */
  async function order(patientId: string, verify = true): Promise<string> {
    // entered at the order desk (an admin), verified by the pharmacist: separation of duties
    const o = await t.api('POST', '/api/orders', {
      token: t.adminToken,
      body: {
        patientId,
        medicationId,
        dose: { amount: 500, unit: 'mg' },
        route: 'oral',
        schedule: { times: [new Date(Date.now() + 10 * 60_000).toISOString()], windowMinutes: 60 },
        priority: 'urgent',
      },
    });
    if (o.status !== 201) throw new Error(`order → ${o.status} ${JSON.stringify(o.body)}`);
    if (verify) await ph('POST', `/api/orders/${o.body.id}/verify`);
    return o.body.id as string;
  }

  async function user(role: string, wards?: string[]): Promise<{ username: string; password: string }> {
    const username = `${role.replace('_', '-')}-ui-${Math.random().toString(36).slice(2, 7)}`;
    const password = 'a-long-test-password';
    const r = await t.api('POST', '/api/users', { token: t.adminToken, body: { username, password, role, ...(wards ? { wards } : {}) } });
    expect(r.status).toBe(201);
    return { username, password };
  }

  async function signIn(who: { username: string; password: string }, viewport = { width: 1440, height: 1000 }, lang = 'en'): Promise<Page> {
    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    pages.push(page);
    page.on('pageerror', (err) => {
      throw err;
    });
    // the tests read English words: the language is forced (the UI remembers ?lang= for the tab's origin)
    await page.goto(`${t.baseUrl}/?lang=${lang}`);
    await page.locator('input[name="username"]').fill(who.username);
    await page.locator('input[name="password"]').fill(who.password);
    await page.locator('form button[type="submit"]').click();
    await page.locator('[data-link="live"]').waitFor({ timeout: 10_000 });
    return page;
  }

  /** A robot at the pharmacy dock; answers once the server has its state and factsheet (loading checks both). */
  async function startRobot(serialNumber = 'UI-1', name = 'Robot Aria'): Promise<string> {
    const reg = await t.registerDevice({ kind: 'robot', name, manufacturer: 'MedLoop', serialNumber });
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
          serialNumber,
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
    const sim = new RobotSimulator({ robot: robots[0]!, settings });
    sims.push(sim);
    await sim.start();
    await waitForAsync(
      async () => {
        const r = (await t.api('GET', `/api/robots/${reg.device.id}`, { token: t.adminToken })).body;
        return r.battery !== null && r.factsheetActions !== null;
      },
      10_000,
      'robot state and factsheet',
    );
    return reg.device.id as string;
  }

  it('shows a nurse her ward live: a delivery robot arriving, unlock and receipt from the page, the bedside check, an alarm she acknowledges', async () => {
    robotId = await startRobot();
    const p = await ph('POST', '/api/patients', { mrn: 'MRN-UI-1', wristbandGsrn: WRISTBAND_GSRN, name: 'Ada Lovelace', ward: 'W-CARD', bed: '4' });
    patient = { id: p.body.id, gsrn: WRISTBAND_GSRN };
    const orderId = await order(patient.id);
    const nurse = await user('nurse', ['W-CARD']);
    const page = await signIn(nurse);
    expect(page.url()).toContain('#/nurse/W-CARD');
    // the title names the ward once the site has loaded (the ward id stands in until then)
    await page.locator('header .title', { hasText: 'Cardiology' }).waitFor({ timeout: 10_000 });
    // the floor map is the ward's floor, drawn from the site with the ward's station marked
    await page.locator('#map figure.map[data-floor="F1"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#map figure.map').count()).toBe(1);
    expect(await page.locator('#map .station.mine').count()).toBe(1);
    // nothing invented: no arrival yet, the patient's dose is on the record, nothing failed to load
    await page.locator('#arrivals .empty').first().waitFor();
    await page.locator(`#doses [data-patient="${patient.id}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator('#arrivals .error, #doses .error, #incoming .error').count()).toBe(0);
    await page.locator('#incoming', { hasText: 'No robot is on its way' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${SHOTS}/01-nurse-station-idle.png`, fullPage: true });

    // the ward's fridge reports over MQTT: its temperature appears on the open page, rounded
    const fridge = await t.registerDevice({ kind: 'sensor', name: 'Cardiology med fridge', ward: 'W-CARD', location: 'med room' });
    const link = await connectMqtt(t.mqttUrl, { username: fridge.device.id, password: fridge.credentials.password });
    const reading = { v: 1, deviceId: fridge.device.id, seq: 1, ts: new Date().toISOString(), readings: [{ channel: 'main', temperatureC: 4.26 }] };
    await link.publishAsync(deviceTopic('sensor', fridge.device.id, 'telemetry'), JSON.stringify(reading), { qos: 1 });
    await page.locator(`#sensors [data-sensor="${fridge.device.id}"]`, { hasText: 'main 4.3 °C' }).waitFor({ timeout: 15_000 });
    await link.endAsync(true);

    // the pharmacy builds and dispatches the delivery through the API, as custody.e2e-spec does
    const delivery = (await ph('POST', '/api/deliveries', { ward: 'W-CARD' })).body.id as string;
    const picked = await ph('POST', `/api/deliveries/${delivery}/picks`, { orderId, barcode: rawUnit('UI-S1') });
    deliveredDose = (picked.body.doses as { id: string }[])[0]!.id;
    // a second dose, which the nurse will receive by choosing it (its label cannot be scanned)
    const chosenPick = await ph('POST', `/api/deliveries/${delivery}/picks`, { orderId: await order(patient.id), barcode: rawUnit('UI-M1') });
    const chosenDose = (chosenPick.body.doses as { id: string; serial: string }[]).find((d) => d.serial === 'UI-M1')!.id;
    await ph('POST', `/api/deliveries/${delivery}/check`, {});
    await ph('POST', `/api/deliveries/${delivery}/load`, { robotId, compartments: { C1: [deliveredDose, chosenDose] } });
    const dispatched = await ph('POST', `/api/deliveries/${delivery}/dispatch`);
    // the delivery shows as incoming at once (pushed, not polled), with the robot's mission
    await page.locator(`#incoming [data-delivery="${delivery}"][data-mission="${dispatched.body.missionId}"]`).waitFor({ timeout: 15_000 });

    // the robot appears on the cardiology floor when the lift brings it up, and moves
    const station = (await t.api('GET', '/api/site', { token: t.adminToken })).body.nodes.find((n: { id: string }) => n.id === 'F1-CARD-STATION');
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

    // the arrival waits for receipt, compartment by compartment, the dose named
    const arrival = page.locator(`#arrivals [data-delivery="${delivery}"]`);
    await arrival.waitFor({ timeout: 15_000 });
    const c1 = arrival.locator('[data-compartment="C1"]');
    await c1.locator(`[data-dose="${deliveredDose}"][data-state="arrived"]`).waitFor({ timeout: 10_000 });
    expect(await c1.textContent()).toContain('Amoxicillin 500 mg');
    expect(await c1.textContent()).toContain('Ada Lovelace');
    await page.screenshot({ path: `${SHOTS}/03-nurse-station-arrival.png`, fullPage: true });

    // she unlocks C1 with her session: the robot opens exactly that compartment
    await c1.getByRole('button', { name: 'Unlock C1' }).click();
    await arrival.locator('[data-compartment="C1"][data-open="yes"]').waitFor({ timeout: 15_000 });
    await waitForAsync(
      async () =>
        (await t.api('GET', `/api/robots/${robotId}`, { token: t.adminToken })).body.compartments.find(
          (c: { compartmentId: string }) => c.compartmentId === 'C1',
        )?.lock === 'UNLOCKED',
      5_000,
      'C1 unlocked on the robot',
    );
    // a keyboard-wedge scanner types the code into the receipt field and presses Enter
    const scan = arrival.locator('input[name="receipt"]');
    await scan.click();
    await scan.pressSequentially(keyedUnit('UI-S1'), { delay: 5 });
    await scan.press('Enter');
    await arrival.locator(`[data-dose="${deliveredDose}"][data-state="received"]`).waitFor({ timeout: 15_000 });
    expect(await arrival.locator('[role="status"]').textContent()).toContain('Received Amoxicillin 500 mg');
    await page.screenshot({ path: `${SHOTS}/04-receipt-scanned.png`, fullPage: true });
    // no scanner string: the second dose is chosen from the opened compartment's doses, shown
    // with what its label says, and received with a reason recorded as a manual entry
    const chooser = arrival.locator('details[data-manual="receipt"]');
    await chooser.locator('summary').click();
    const choice = chooser.locator(`[data-dose="${chosenDose}"]`);
    expect(await choice.textContent()).toContain(`GTIN ${GTIN} · lot LOT7`);
    expect(await choice.textContent()).toContain('SN UI-M1');
    expect(await chooser.locator(`[data-dose="${deliveredDose}"]`).count()).toBe(0);
    await choice.locator('input[type="radio"]').check();
    await chooser.locator('select[name="manual-reason"]').selectOption('label_damaged');
    await chooser.getByRole('button', { name: 'Receive the chosen dose' }).click();
    await c1.locator(`[data-dose="${chosenDose}"][data-state="received"]`).waitFor({ timeout: 15_000 });
    const chosenEvents = (await t.api('GET', `/api/doses/${chosenDose}/timeline`, { token: t.adminToken })).body.events as {
      action: string;
      evidence: Record<string, unknown>;
    }[];
    expect(chosenEvents.find((e) => e.action === 'received')!.evidence).toMatchObject({
      identification: 'manual',
      manualEntry: { reason: 'label_damaged', fields: ['barcode'] },
    });
    await page.screenshot({ path: `${SHOTS}/04b-receipt-chosen.png`, fullPage: true });
    await arrival.getByRole('button', { name: 'Complete receipt' }).click();
    const done = page.locator(`#arrivals [data-receipt-done="${delivery}"]`);
    await done.waitFor({ timeout: 15_000 });
    expect(await done.textContent()).toContain('2 received');
    const stored = (await t.api('GET', `/api/deliveries/${delivery}`, { token: t.adminToken })).body;
    expect(stored.state).toBe('completed');
    expect((stored.doses as { state: string }[]).map((d) => d.state)).toEqual(['received', 'received']);
    expect(stored.unlocks[0].by).toBe(nurse.username);
    await page.screenshot({ path: `${SHOTS}/05-receipt-done.png`, fullPage: true });

    // bedside: the wrong wristband is refused with the rule's own message, the right one passes all five rights
    const bedside = page.locator('#bedside');
    await bedside.locator('input[name="wristband"]').fill(wristband(withCheck('80180000000000999')));
    await bedside.locator('input[name="dose"]').fill(keyedUnit('UI-S1'));
    // what was given, as the nurse types it (0.5 g for the 500 mg ordered: converted, the dose right passes)
    await bedside.locator('input[name="given-amount"]').fill('0.5');
    await bedside.locator('input[name="given-unit"]').fill('g');
    await bedside.locator('input[name="given-route"]').fill('PO');
    await bedside.getByRole('button', { name: 'Check five rights and record' }).click();
    await bedside.locator('[data-result="refused"][data-code="unknown_wristband"]').waitFor({ timeout: 15_000 });
    await bedside.locator('input[name="wristband"]').fill(`(8018)${patient.gsrn}`);
    await bedside.getByRole('button', { name: 'Check five rights and record' }).click();
    const result = bedside.locator('[data-result="recorded"]');
    await result.waitFor({ timeout: 15_000 });
    expect(await result.locator('.right.pass').count()).toBe(5);
    expect((await t.api('GET', `/api/doses/${deliveredDose}/timeline`, { token: t.adminToken })).body.dose.state).toBe('administered');
    await page.screenshot({ path: `${SHOTS}/06-bedside-given.png`, fullPage: true });

    // an alarm raised on the ward reaches the open page live; the nurse acknowledges it there
    const alarm = await t.cp.app.get(AlarmsService).raise({
      type: 'coldchain.excursion',
      subject: 'FRIDGE-CARD-1',
      ward: 'W-CARD',
      sourceKind: 'sensor',
      sourceId: 'FRIDGE-CARD-1',
      params: {
        storageId: 'FRIDGE-CARD-1',
        excursionId: 'ui-test',
        minAllowedC: 2,
        maxAllowedC: 8,
        window: { start: new Date().toISOString(), end: null },
        nowC: 9.4,
        minC: 9.4,
        maxC: 9.4,
      },
    });
    const item = page.locator(`#alarms [data-alarm="${alarm.id}"]`);
    await item.waitFor({ timeout: 15_000 });
    expect(await item.getAttribute('data-state')).toBe('raised');
    await page.screenshot({ path: `${SHOTS}/07-alarm-raised.png`, fullPage: true });
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator(`#alarms [data-alarm="${alarm.id}"][data-state="acknowledged"]`).waitFor({ timeout: 15_000 });
    expect(await item.textContent()).toContain(`acknowledged by ${nurse.username}`);
    const ack = (await t.api('GET', `/api/alarms/${alarm.id}`, { token: t.adminToken })).body;
    expect(ack.state).toBe('acknowledged');
    expect(ack.acknowledged.by).toBe(nurse.username);
    await page.screenshot({ path: `${SHOTS}/08-alarm-acknowledged.png`, fullPage: true });

    // a pharmacist's decision on her ward reaches her too, without a button she may not use
    const decision = await t.cp.app.get(AlarmsService).raise({
      type: 'cabinet.discrepancy',
      subject: 'ui-disc-1',
      ward: 'W-CARD',
      sourceKind: 'cabinet',
      sourceId: 'CAB-UI',
      params: { medication: 'Ondansetron 4 mg', cabinetId: 'CAB-UI', pocketId: 'P1', counted: 3, expected: 4, discrepancyId: 'ui-disc-1' },
    });
    const decisionItem = page.locator(`#alarms [data-alarm="${decision.id}"]`);
    await decisionItem.waitFor({ timeout: 15_000 });
    expect(await decisionItem.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);

    // the panel's count is of open alarms: the acknowledged excursion is listed but not counted
    const alarmsPanel = page.locator('#alarms');
    const raisedShown = await alarmsPanel.locator('[data-alarm][data-state="raised"]').count();
    expect(raisedShown).toBeGreaterThanOrEqual(1);
    expect(await alarmsPanel.locator('[data-alarm][data-state="acknowledged"]').count()).toBeGreaterThanOrEqual(1);
    expect(await alarmsPanel.locator('h2 .count').textContent()).toBe(String(raisedShown));
    // filters: acknowledged only shows the excursion and not the open decision; a severity, a type family
    await alarmsPanel.locator('select[name="alarm-state"]').selectOption('acknowledged');
    await decisionItem.waitFor({ state: 'detached', timeout: 5_000 });
    expect(await item.count()).toBe(1);
    expect(await alarmsPanel.locator('[data-alarm][data-state="raised"]').count()).toBe(0);
    await alarmsPanel.locator('select[name="alarm-state"]').selectOption('all');
    await alarmsPanel.locator('select[name="alarm-type"]').selectOption('cabinet');
    await decisionItem.waitFor({ timeout: 5_000 });
    expect(await item.count()).toBe(0);
    expect(await alarmsPanel.locator('[data-alarm]:not([data-type^="cabinet."])').count()).toBe(0);
    await alarmsPanel.locator('select[name="alarm-type"]').selectOption('all');
    await alarmsPanel.locator('select[name="alarm-severity"]').selectOption('info');
    expect(await alarmsPanel.locator('[data-alarm]:not(.info)').count()).toBe(0);
    await alarmsPanel.locator('select[name="alarm-severity"]').selectOption('all');
  }, 180_000);

  it('tells a nurse who opens another ward that she is not assigned to it', async () => {
    const nurse = await user('nurse', ['W-CARD']);
    const page = await signIn(nurse);
    await page.goto(`${t.baseUrl}/#/nurse/W-ONC`);
    const banner = page.locator('[data-error="ward_forbidden"]');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toContain("not assigned to ward 'W-ONC'");
  });

  it('shows the nurse station in Simplified Chinese: labels, <html lang>, 24-hour site times, an alarm worded on the client', async () => {
    const nurse = await user('nurse', ['W-CARD']);
    const page = await signIn(nurse, undefined, 'zh-CN');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await page.locator('header .title', { hasText: '护士站' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('header').textContent()).toContain('退出登录');
    expect(await page.locator('#alarms h2').textContent()).toContain('报警');
    const alarm = await t.cp.app.get(AlarmsService).raise({
      type: 'coldchain.excursion',
      subject: 'FRIDGE-CARD-ZH',
      ward: 'W-CARD',
      sourceKind: 'sensor',
      sourceId: 'FRIDGE-CARD-ZH',
      // binary noise the server's own English rounds too: the client must round it in Chinese
      params: {
        storageId: 'FRIDGE-CARD-ZH',
        excursionId: 'ui-zh',
        minAllowedC: 2,
        maxAllowedC: 8,
        window: { start: '2025-03-04T12:05:00Z', end: null },
        nowC: 10.700000000000001,
        minC: 9,
        maxC: 10.7,
      },
    });
    const item = page.locator(`#alarms [data-alarm="${alarm.id}"]`);
    await item.waitFor({ timeout: 15_000 });
    expect(await item.locator('strong').textContent()).toBe('FRIDGE-CARD-ZH：温度超出范围');
    const text = (await item.textContent()) ?? '';
    // 12:05 UTC is 20:05 in the site's zone (Asia/Shanghai), whatever the browser's zone
    expect(text).toContain('20:05');
    expect(text).toContain('当前 10.7 °C');
    expect(text).toContain('紧急'); // severity critical (priority urgent is 加急)
    expect(await item.locator('.row .muted').first().textContent()).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    // the switch in the header goes back to English without signing in again
    await page.locator('header [data-lang="en"]').click();
    await item.locator('strong', { hasText: 'FRIDGE-CARD-ZH: temperature out of range' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
  });

  it('lets a nurse close a missed dose from the page with a reason, counted while acknowledged; a late dose says how late it is now', async () => {
    const nurse = await user('nurse', ['W-CARD']);
    const page = await signIn(nurse);
    const alarms = page.locator('#alarms');
    const slot = (id: string, minutesAgo: number, minutesLate: number) => ({
      slotId: id,
      doseId: null,
      orderId: 'ui-order-missed',
      patientId: 'ui-patient-missed',
      patient: 'Ada Lovelace',
      bed: '4',
      medication: 'Amoxicillin 500 mg',
      scheduledAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
      minutesLate,
      windowMinutes: 60,
    });
    // raised 5 minutes late, not raised again while open: the page counts from the due time
    const late = await t.cp.app.get(AlarmsService).raise({
      type: 'custody.dose_late',
      subject: 'ui-slot-late',
      ward: 'W-CARD',
      sourceKind: 'administration_slot',
      sourceId: 'ui-slot-late',
      params: slot('ui-slot-late', 40, 5),
    });
    const lateItem = alarms.locator(`[data-alarm="${late.id}"]`);
    await lateItem.waitFor({ timeout: 15_000 });
    expect(await lateItem.textContent()).toContain('Amoxicillin 500 mg for Ada Lovelace (bed 4) was due at');
    expect(await lateItem.textContent()).toMatch(/is (40|41) min late/);
    // a late dose clears by itself: no way to close it by hand
    expect(await lateItem.getByRole('button', { name: 'Resolve' }).count()).toBe(0);

    const missed = await t.cp.app.get(AlarmsService).raise({
      type: 'custody.dose_missed',
      subject: 'ui-slot-missed',
      ward: 'W-CARD',
      sourceKind: 'administration_slot',
      sourceId: 'ui-slot-missed',
      params: slot('ui-slot-missed', 90, 60),
    });
    const item = alarms.locator(`[data-alarm="${missed.id}"]`);
    await item.waitFor({ timeout: 15_000 });
    expect(await item.textContent()).toContain('nothing was recorded within 60 min either side of it');
    // acknowledged, it still waits for somebody to record what was done: it stays on the badge
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await alarms.locator(`[data-alarm="${missed.id}"][data-state="acknowledged"]`).waitFor({ timeout: 15_000 });
    const countWith = Number(await alarms.locator('h2 .count').textContent());
    expect(countWith).toBe((await alarms.locator('[data-alarm][data-state="raised"]').count()) + 1);

    await item.getByRole('button', { name: 'Resolve' }).click();
    const form = item.locator('form.resolve');
    expect(await form.textContent()).toContain('Close it once the nurse documented why the dose was missed and told the prescriber.');
    await form.locator('textarea[name="reason"]').fill('Patient nil by mouth for theatre; Dr Lee informed at 10:40');
    await page.screenshot({ path: `${SHOTS}/09-missed-dose-resolve.png`, fullPage: true });
    await form.getByRole('button', { name: 'Record and close' }).click();
    await item.waitFor({ state: 'detached', timeout: 15_000 });
    const closed = (await t.api('GET', `/api/alarms/${missed.id}`, { token: t.adminToken })).body;
    expect(closed.state).toBe('cleared');
    expect(closed.resolution).toMatchObject({ by: nurse.username, role: 'nurse', reason: 'Patient nil by mouth for theatre; Dr Lee informed at 10:40' });
    await alarms.locator('h2 .count', { hasText: String(countWith - 1) }).waitFor({ timeout: 5_000 });
  });

  it('lets a pharmacist verify an order and build a delivery step by step, and a ward-round pharmacist read a dose timeline on a phone', async () => {
    const p2 = await ph('POST', '/api/patients', {
      mrn: 'MRN-UI-2',
      wristbandGsrn: withCheck('80180000000000778'),
      name: 'Grace Hopper',
      ward: 'W-CARD',
      bed: '7',
    });
    const toVerify = await order(p2.body.id, false);
    // the same drug, dose and patient again: only its id (and entry time) tells it apart
    const toVerifyTwin = await order(p2.body.id, false);
    const toPick = await order(p2.body.id);
    const toPickTwin = await order(p2.body.id);
    // the first test's robot stayed at the cardiology station; two more stand at the dock
    const dockRobotId = await startRobot('UI-2', 'Robot Bea');
    const dockRobot2Id = await startRobot('UI-3', 'Robot Cai');

    const page = await signIn(await user('pharmacist'));
    expect(page.url()).toContain('#/pharmacy');
    await page.locator('#fleet figure.map').waitFor();
    expect(await page.locator('#fleet [data-robot-row]').count()).toBeGreaterThanOrEqual(1);
    // the order waiting for the pharmacist's gate, named (drug, patient, ward)
    const pending = page.locator(`#orders [data-order="${toVerify}"]`);
    await pending.waitFor({ timeout: 10_000 });
    await waitForAsync(async () => ((await pending.textContent()) ?? '').includes('Grace Hopper'), 10_000, 'order names its patient');
    const twin = page.locator(`#orders [data-order="${toVerifyTwin}"]`);
    expect(await pending.locator('[data-order-id]').textContent()).toBe(`#${toVerify.slice(0, 8)}`);
    expect(await twin.locator('[data-order-id]').textContent()).toBe(`#${toVerifyTwin.slice(0, 8)}`);
    expect(await pending.locator('[data-priority="urgent"]').textContent()).toBe('urgent');
    expect(await pending.locator('[data-order-entered]').textContent()).toMatch(/^entered \d{2}:\d{2}$/);
    await pending.getByRole('button', { name: 'Verify' }).click();
    await pending.waitFor({ state: 'detached', timeout: 15_000 });
    expect((await t.api('GET', `/api/orders/${toVerify}`, { token: t.adminToken })).body.status).toBe('verified');

    // build: create for cardiology → scan the unit for the order → check → choose robot and compartment
    const build = page.locator('#build');
    await build.getByLabel('destination ward').selectOption('W-CARD');
    await build.getByRole('button', { name: 'Create delivery' }).click();
    await build.locator('[data-step="pick"]').waitFor({ timeout: 15_000 });
    // the two verified orders of the same drug for the same patient read differently: id, priority, due time
    const orderSelect = build.getByLabel('order', { exact: true });
    const pickText = (await orderSelect.locator(`option[value="${toPick}"]`).textContent()) ?? '';
    const twinText = (await orderSelect.locator(`option[value="${toPickTwin}"]`).textContent()) ?? '';
    expect(pickText).not.toBe(twinText);
    expect(pickText).toContain(`#${toPick.slice(0, 8)}`);
    expect(pickText).toMatch(/· urgent · due [^·]*\d{2}:\d{2} ·/);
    expect(twinText).toContain(`#${toPickTwin.slice(0, 8)}`);
    await build.getByLabel('order', { exact: true }).selectOption(toPick);
    const pick = build.locator('input[name="pick"]');
    await pick.click();
    await pick.pressSequentially(keyedUnit('UI-S2'), { delay: 5 });
    await pick.press('Enter');
    await build.locator('[data-step="check"]').waitFor({ timeout: 15_000 });
    await build.getByRole('button', { name: 'Check 1 picked dose' }).click();
    await build.locator('[data-step="load"]').waitFor({ timeout: 15_000 });
    // the first robot still stands at the cardiology station: only the robots at the pharmacy dock are offered
    const robotSelect = build.getByLabel('robot', { exact: true });
    await robotSelect.locator(`option[value="${dockRobotId}"]`).waitFor({ state: 'attached', timeout: 15_000 });
    await robotSelect.locator(`option[value="${dockRobot2Id}"]`).waitFor({ state: 'attached', timeout: 15_000 });
    expect(await robotSelect.locator(`option[value="${robotId}"]`).count()).toBe(0);
    expect(await build.locator(`[data-robot-not-offered="${robotId}"]`).getAttribute('data-why')).toBe('not_at_dock');
    // each offered robot names its free compartments, the refrigerated one marked
    const bea = robotSelect.locator(`option[value="${dockRobotId}"]`);
    expect(await bea.getAttribute('data-free')).toBe('C1,C2,C3');
    expect(await bea.textContent()).toContain('free: C1, C2, C3 (cold)');
    // two qualify: none is chosen for the pharmacist, and nothing can be sealed until she chooses
    expect(await robotSelect.inputValue()).toBe('');
    expect(await build.getByRole('button', { name: /^Seal into/ }).isDisabled()).toBe(true);
    await robotSelect.selectOption(dockRobotId);
    await page.screenshot({ path: `${SHOTS}/09-pharmacy-building-delivery.png`, fullPage: true });
    await build.getByRole('button', { name: /^Seal into/ }).click();
    await build.locator('[data-step="dispatch"]').waitFor({ timeout: 15_000 });
    const buildingId = await build.locator('[data-delivery]').first().getAttribute('data-delivery');
    const loaded = (await t.api('GET', `/api/deliveries/${buildingId}`, { token: t.adminToken })).body;
    expect(loaded.state).toBe('loaded');
    expect(loaded.robotId).toBe(dockRobotId);
    expect(Object.values(loaded.compartments).flat()).toHaveLength(1);
    await page.screenshot({ path: `${SHOTS}/10-pharmacy-ready-to-dispatch.png`, fullPage: true });

    // the pharmacy console in Simplified Chinese: the order gate and the delivery steps in clinical words
    const zh = await signIn(await user('pharmacist'), undefined, 'zh-CN');
    const zhTwin = zh.locator(`#orders [data-order="${toVerifyTwin}"]`);
    await zhTwin.waitFor({ timeout: 10_000 });
    expect(await zhTwin.getByRole('button', { name: '审核通过' }).count()).toBe(1);
    expect(await zhTwin.locator('[data-priority]').textContent()).toBe('加急');
    expect(await zhTwin.textContent()).toMatch(/开立于 \d{2}:\d{2}/);
    await zh.locator('#build').getByRole('button', { name: '新建配送' }).waitFor({ timeout: 10_000 });
    expect(await zh.locator('#build .steps').textContent()).toBe('新建拣药核对装载派送');
    await zh.screenshot({ path: `${SHOTS}/10b-pharmacy-zh-CN.png`, fullPage: true });

    // the ward round on a phone: the audit chain verified, the cold-chain alarm, the dose's timeline
    const wp = await signIn(await user('ward_pharmacist'), { width: 390, height: 844 });
    expect(wp.url()).toContain('#/rounds');
    await wp.locator('#audit [data-audit="ok"]').waitFor({ timeout: 10_000 });
    // the acknowledged fridge alarm of the first test is still open on cardiology
    await wp.locator('#cold [data-alarm]').first().waitFor({ timeout: 15_000 });
    const record = wp.locator(`#patients [data-patient="${patient.id}"]`);
    await record.locator('[data-status="given"]').waitFor({ timeout: 10_000 });
    // the override review list reads the paged answer (nothing was overridden on this ward)
    await wp.locator('#overrides').getByText('No override to review on this ward.').waitFor({ timeout: 10_000 });
    await wp.screenshot({ path: `${SHOTS}/11-ward-round-phone.png`, fullPage: true });
    await record.getByRole('button', { name: `timeline of dose ${deliveredDose.slice(0, 8)}` }).click();
    const timeline = wp.locator(`#timeline [data-timeline="${deliveredDose}"]`);
    await timeline.locator('[data-action="administered"]').waitFor({ timeout: 15_000 });
    for (const action of ['order_verified', 'picked', 'checked', 'loaded', 'departed', 'arrived', 'received', 'administered'])
      expect(await timeline.locator(`[data-action="${action}"]`).count()).toBe(1);
    // consecutive events show their hash link verified; none shows a broken one
    expect(await timeline.locator('.hash.ok').count()).toBeGreaterThanOrEqual(1);
    expect(await timeline.locator('.hash.bad').count()).toBe(0);
    await wp.screenshot({ path: `${SHOTS}/12-ward-round-timeline.png`, fullPage: true });
  }, 90_000);
});
