import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { apiCall, brokenLabels, signedInContext } from './pages.js';
import { startServer, type RunningServer } from './server.js';

// StreakPets in Spanish and Japanese, on a phone (390 px) and a desktop: the labels a user taps fit where they are
// shown, in full. E2E_DATA_DIR names the DATA_DIR of the server at E2E_BASE_URL (for `npm run admin`).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'correct horse battery staple';
const run = Date.now().toString(36);
const PHONE = { width: 390, height: 844 };
const catalogs: Record<string, Record<string, unknown>> = {};

/** The `web` text of `key` ("pet.actions.feed") in `locale`, as locales/<locale>.json has it. */
function tr(locale: string, key: string): string {
  catalogs[locale] ??= JSON.parse(readFileSync(`${ROOT}locales/${locale}.json`, 'utf8')) as Record<string, unknown>;
  return key.split('.').reduce<any>((o, k) => o?.[k], catalogs[locale].web) as string;
}

let server: RunningServer;
const call = (path: string, body?: unknown, token?: string) => apiCall(server.url, path, body, token);
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

/** A new account speaking `locale`, with a pet; its tokens. */
async function member(label: string, locale: string): Promise<{ email: string; accessToken: string; refreshToken: string }> {
  const email = `${label}-${run}@example.com`;
  const res = await call('/auth/register', { name: label, email, password: PASSWORD, locale });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  expect((await call('/pets', { name: 'Churro' }, res.json.accessToken)).status).toBeLessThan(300);
  return { email, accessToken: res.json.accessToken, refreshToken: res.json.refreshToken };
}

/** A page in `locale` at `viewport`, signed in with a refresh token (a restored session). */
async function signedInPage(refreshToken: string, locale: string, viewport: { width: number; height: number }): Promise<Page> {
  const { ctx, page } = await signedInContext(browser, refreshToken, { viewport, locale }, (m) => pageErrors.push(`${locale}: ${m}`));
  contexts.push(ctx);
  return page;
}

/** The tabs of the tab list `selector` that are not shown in full inside it (cut off at its edge, to be scrolled to). */
async function clippedTabs(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluate((list) => {
    const box = list.getBoundingClientRect();
    return [...list.querySelectorAll<HTMLElement>('[role=tab]')]
      .filter((tab) => {
        const r = tab.getBoundingClientRect();
        return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.right > document.documentElement.clientWidth;
      })
      .map((tab) => tab.textContent ?? '');
  });
}

beforeAll(async () => {
  server = await startServer({ RATE_LIMIT_STRICT: '60' });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

describe('StreakPets in Spanish and Japanese', () => {
  it('shows the pet actions on a phone with each label whole on one line (no "Alimenta/r")', async () => {
    for (const locale of ['es', 'ja']) {
      const who = await member(`care-${locale}`, locale);
      const page = await signedInPage(who.refreshToken, locale, PHONE);
      await page.goto(`${server.url}/`);
      await page.getByTestId('action-feed').getByText(tr(locale, 'pet.actions.feed'), { exact: true }).waitFor();
      expect(await brokenLabels(page, '.action > span:not(.action-icon)'), locale).toEqual([]);
    }
  });

  it('shows every wallet tab in full on a phone, none cut off at the screen edge', async () => {
    const who = await member('tabs-es', 'es');
    const page = await signedInPage(who.refreshToken, 'es', PHONE);
    await page.goto(`${server.url}/wallet`);
    await page.getByRole('tab', { name: tr('es', 'wallet.tabs.names') }).waitFor();
    expect(await clippedTabs(page, '[role=tablist]')).toEqual([]);
  });

  it('takes a user whose account an admin disables while their tab is open to the sign-in screen, which says the session ended', async () => {
    const who = await member('gone-es', 'es');
    const page = await signedInPage(who.refreshToken, 'es', PHONE);
    await page.goto(`${server.url}/wallet`);
    await page.getByTestId('balance').waitFor();
    const admin = await member('ops-es', 'es');
    const dataDir = server.dataDir ?? process.env.E2E_DATA_DIR;
    if (!dataDir) throw new Error('E2E_DATA_DIR: the DATA_DIR of the server at E2E_BASE_URL');
    execFileSync(process.execPath, ['--import', 'tsx', 'src/accounts/accounts.cli.ts', 'promote', admin.email], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' } });
    const { generate } = await import('otplib');
    const setup = await call('/auth/2fa/setup', {}, admin.accessToken);
    const enable = await call('/auth/2fa/enable', { code: await generate({ secret: setup.json.secret }), currentPassword: PASSWORD }, admin.accessToken);
    const login = await call('/auth/login', { email: admin.email, password: PASSWORD, recoveryCode: enable.json.recoveryCodes[0] });
    // the admin works on a phone too: the Admin tabs all show, and the toast reads right for any name
    const ops = await signedInPage(login.json.refreshToken, 'es', PHONE);
    await ops.goto(`${server.url}/admin`);
    await ops.getByRole('tab', { name: tr('es', 'admin.tabs.announce') }).waitFor();
    expect(await clippedTabs(ops, '[role=tablist]')).toEqual([]);
    await ops.getByTestId('admin-search').fill(who.email);
    const row = ops.getByTestId('admin-user').filter({ hasText: who.email });
    await row.getByTestId('admin-disable').click();
    await row.getByLabel(tr('es', 'admin.reason')).fill('QA');
    await row.getByRole('button', { name: tr('es', 'admin.confirmButton') }).click();
    // Spanish agrees in gender: "Lucía está desactivado" was wrong for half the users; the account is what is disabled
    await ops.locator('.toast').filter({ hasText: /cuenta desactivada$/ }).waitFor();
    // the live connection dropped, or the next thing the user does (open Chat), meets the ended session: the
    // sign-in screen, not a Chat whose every request fails with "needs a valid access token" and a useless Retry
    await page.getByRole('link', { name: tr('es', 'nav.chat') }).first().click({ timeout: 2_000 }).catch(() => undefined);
    await page.getByTestId('session-ended').getByText(tr('es', 'auth.sessionEnded')).waitFor({ timeout: 15_000 });
    await page.getByRole('heading', { name: tr('es', 'auth.signInTitle') }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/signin');
    // signing in again says the account is disabled, and the note about the ended session is gone
    await page.getByLabel(tr('es', 'auth.email')).fill(who.email);
    await page.getByLabel(tr('es', 'auth.password')).fill(PASSWORD);
    await page.getByRole('button', { name: tr('es', 'auth.signIn') }).click();
    await page.getByRole('alert').waitFor();
  });

  it('keeps the keyboard on a mail choice while it saves, the box showing the new choice at once', async () => {
    const who = await member('mail-ja', 'ja');
    const page = await signedInPage(who.refreshToken, 'ja', { width: 1280, height: 860 });
    await page.goto(`${server.url}/settings`);
    const box = page.getByTestId('email-prefs').getByRole('checkbox', { name: tr('ja', 'notificationPrefs.categories.announcements'), exact: true });
    const before = await box.isChecked();
    await box.focus();
    await page.keyboard.press('Space');
    expect(await box.isChecked()).toBe(!before);
    await page.locator('.toast').filter({ hasText: tr('ja', 'notificationPrefs.saved') }).first().waitFor();
    // a disabled box during the save used to drop the focus to the page body
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Space');
    await expect.poll(() => call('/notifications/email-preferences', undefined, who.accessToken).then((r) => r.json.email?.announcements)).toBe(before);
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('raised no uncaught errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
