/**
 * The web UI's session in a real browser, with access tokens that live 3 s: a nurse's station
 * stays signed in past many of them (the tab refreshes in the background and its live socket
 * keeps its rooms); "Sign out" ends the session on the server (its tokens answer 401); and a
 * session ended elsewhere (an administrator's "sign out everywhere") sends the tab to the
 * sign-in page.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitForAsync } from '#testing';
import { startTestApp, type TestApp } from './support/test-app.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const WARD = 'W-CARD';

describe('web UI session', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync('dist/apps/web/index.html')) throw new Error('the web UI is not built: run `npm run build` first');
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    t = await startTestApp({ JWT_TTL_SECONDS: '3' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** the harness's admin token lives 3 s here too: sign in for each call */
  const admin = async () => t.login('admin', t.env['ADMIN_PASSWORD']!);
  const nurse = async () => {
    const username = `nurse-session-${Math.random().toString(36).slice(2, 7)}`;
    const password = 'a-long-test-password';
    const r = await t.api('POST', '/api/users', { token: await admin(), body: { username, password, role: 'nurse', wards: [WARD] } });
    expect(r.status).toBe(201);
    return { id: r.body.id as string, username, password };
  };
  const signIn = async (who: { username: string; password: string }): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
    await page.goto(t.baseUrl + '/?lang=en');
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-link="live"]').waitFor({ timeout: 10_000 });
    return page;
  };
  const stored = (page: Page) =>
    page.evaluate(
      () =>
        JSON.parse(
          (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('medloop.session') ?? 'null',
        ) as { token: string } | null,
    );
  const me = async (token: string) => (await t.api('GET', '/api/users/me', { token })).status;

  it('stays signed in past several access-token lifetimes, and Sign out ends the session on the server', async () => {
    const who = await nurse();
    const page = await signIn(who);
    const first = (await stored(page))!.token;
    // untouched, the tab refreshes by itself (keepSessionFresh), before the token's end
    await waitForAsync(async () => (await stored(page))!.token !== first, 20_000, 'refreshed in the background');
    const background = (await stored(page))!.token;
    expect(await me(background)).toBe(200);
    // and after a reload too: the station is still live
    await page.reload();
    await page.locator('[data-link="live"]').waitFor({ timeout: 10_000 });
    expect(page.url()).not.toContain('#/login');
    const now = (await stored(page))!.token;
    expect(now).not.toBe(first);
    expect(page.url()).not.toContain('#/login');
    expect(await me(now)).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
    expect(await stored(page)).toBeNull();
    await waitForAsync(async () => (await t.api('GET', `/api/users/${who.id}/sessions`, { token: await admin() })).body.length === 0, 5_000, 'session ended');
    expect(await me(now)).toBe(401);
  }, 60_000);

  it('goes to the sign-in page when an administrator signs the nurse out everywhere', async () => {
    const who = await nurse();
    const page = await signIn(who);
    expect((await t.api('POST', `/api/users/${who.id}/sign-out`, { token: await admin() })).body).toEqual({ ended: 1 });
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    expect(await stored(page)).toBeNull();
  }, 60_000);
});
