import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { apiCall, axeViolations, signedInContext } from './pages.js';
import { startServer, type RunningServer } from './server.js';

// The admin screen in Chromium: the 2FA hint, user search with disable/enable and role change, the KYC queue,
// an announcement, and a user who neither sees the tab nor gets the page. Needs its own server's DATA_DIR
// (to promote the admin with `npm run admin`), so it does not run against E2E_BASE_URL.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = new URL('../../test-results/', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';
const run = Date.now().toString(36);
const ada = { name: 'Ada Admin', email: `ada-${run}@example.com` };
const bob = { name: 'Bob Member', email: `bob-${run}@example.com` };
const carol = { name: 'Carol Checked', email: `carol-${run}@example.com` };
const dave = { name: 'Dave Doubtful', email: `dave-${run}@example.com` };
const erin = { name: 'Erin Other Admin', email: `erin-${run}@example.com` };
const finn = { name: 'Finn Twice', email: `finn-${run}@example.com` };

let server: RunningServer;
const call = (path: string, body?: unknown, token?: string) => apiCall(server.url, path, body, token);
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

async function register(who: { name: string; email: string }) {
  const res = await call('/auth/register', { ...who, password: PASSWORD });
  expect(res.status).toBe(201);
  return res.json as { accessToken: string; refreshToken: string };
}

/** A page signed in with a refresh token, as a restored session (the web app keeps it in localStorage). */
async function signedInPage(refreshToken: string, label: string): Promise<Page> {
  const { ctx, page } = await signedInContext(browser, refreshToken, { viewport: { width: 1100, height: 900 }, locale: 'en-US' }, (m) => pageErrors.push(`${label}: ${m}`));
  contexts.push(ctx);
  return page;
}

describe.skipIf(!!process.env.E2E_BASE_URL)('the admin screen', () => {
  let adaTokens: { accessToken: string; refreshToken: string };
  let bobTokens: { accessToken: string; refreshToken: string };
  let carolTokens: { accessToken: string; refreshToken: string };
  let erinTokens: { accessToken: string; refreshToken: string };
  let finnTokens: { accessToken: string; refreshToken: string };

  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_STRICT: '60' });
    browser = await launchChromium();
    adaTokens = await register(ada);
    bobTokens = await register(bob);
    carolTokens = await register(carol);
    const daveTokens = await register(dave);
    erinTokens = await register(erin);
    for (const email of [ada.email, erin.email]) {
      execFileSync(process.execPath, ['--import', 'tsx', 'src/accounts/accounts.cli.ts', 'promote', email], { cwd: ROOT, env: { ...process.env, DATA_DIR: server.dataDir!, LOG_LEVEL: 'silent' } });
    }
    const kyc = await call('/me/kyc', { fullName: 'Carol Checked', dateOfBirth: '1991-02-03', country: 'PT', documentType: 'passport', documentNumber: 'P7654321' }, carolTokens.accessToken);
    expect(kyc.status).toBe(202);
    finnTokens = await register(finn);
    const finnKyc = await call('/me/kyc', { fullName: 'Finn Twice', dateOfBirth: '1970-01-02', country: 'DE', documentType: 'id_card', documentNumber: 'F7777777' }, finnTokens.accessToken);
    expect(finnKyc.status).toBe(202);
    const adaKyc = await call('/me/kyc', { fullName: 'Ada Admin', dateOfBirth: '1985-12-10', country: 'GB', documentType: 'passport', documentNumber: 'A5555555' }, adaTokens.accessToken);
    expect(adaKyc.status).toBe(202);
    const daveKyc = await call('/me/kyc', { fullName: 'Dave Doubtful', dateOfBirth: '1980-05-06', country: 'FR', documentType: 'passport', documentNumber: 'D1234567' }, daveTokens.accessToken);
    expect(daveKyc.status).toBe(202);
  });

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('tells an admin without two-step verification to turn it on, with a link to Settings', async () => {
    const page = await signedInPage(adaTokens.refreshToken, 'ada-no-2fa');
    await page.goto(`${server.url}/admin`);
    await page.getByTestId('admin-needs-2fa').waitFor();
    await expect(page.getByRole('heading', { name: 'Turn on two-step verification first' }).count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'Open Settings' }).click();
    await page.waitForURL(/\/settings$/);
  });

  it('lets an admin with 2FA disable and enable a user and change a role, each after a confirmation', async () => {
    const { generate } = await import('otplib');
    const setup = await call('/auth/2fa/setup', {}, adaTokens.accessToken);
    const enable = await call('/auth/2fa/enable', { code: await generate({ secret: setup.json.secret }), currentPassword: PASSWORD }, adaTokens.accessToken);
    expect(enable.status).toBe(200);
    const login = await call('/auth/login', { email: ada.email, password: PASSWORD, recoveryCode: enable.json.recoveryCodes[0] });
    expect(login.status).toBe(200);
    const page = await signedInPage(login.json.refreshToken, 'ada');
    await page.goto(`${server.url}/`);
    await page.getByRole('navigation', { name: 'Main' }).first().getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();

    await page.getByTestId('admin-search').fill(`bob-${run}`);
    const row = page.getByTestId('admin-user').filter({ hasText: bob.email });
    await row.waitFor();
    // the search applies a moment after typing stops: only Bob is left
    await expect.poll(() => page.getByTestId('admin-user').count()).toBe(1);
    // by keyboard: the confirmation takes the focus, and gives it back to its button when cancelled
    const focused = (el: Element) => el === document.activeElement;
    await row.getByTestId('admin-disable').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => row.getByLabel('Reason').evaluate(focused)).toBe(true);
    await row.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => row.getByTestId('admin-disable').evaluate(focused)).toBe(true);
    await page.keyboard.press('Enter');
    await page.keyboard.type('Spam reports');
    await page.keyboard.press('Enter');
    await row.getByText('Spam reports').waitFor();
    expect((await call('/auth/refresh', { refreshToken: bobTokens.refreshToken })).json.code).toBe('refresh_invalid');
    await page.screenshot({ path: `${SHOTS}e2e-admin-01-users.png`, fullPage: true });
    expect(await axeViolations(page, 'admin users')).toEqual([]);

    await row.getByTestId('admin-enable').click();
    await row.getByRole('button', { name: 'Confirm' }).click();
    await row.getByTestId('admin-disable').waitFor();
    await row.getByTestId('admin-makeAdmin').click();
    await expect.poll(() => row.getByRole('button', { name: 'Confirm' }).evaluate(focused)).toBe(true);
    await page.keyboard.press('Enter');
    await row.getByTestId('admin-makeUser').waitFor();
    expect((await call('/auth/login', { email: bob.email, password: PASSWORD })).json.user.role).toBe('admin');

    // on a phone the admin's tab bar holds six tabs on one row
    await page.setViewportSize({ width: 390, height: 800 });
    const tops = await page.locator('.tabbar a').evaluateAll((links) => links.map((l) => Math.round(l.getBoundingClientRect().top)));
    expect(tops).toHaveLength(6);
    expect(new Set(tops).size).toBe(1);
    await page.setViewportSize({ width: 1100, height: 900 });

    // a second admin, Erin, works at the same time
    const erinSetup = await call('/auth/2fa/setup', {}, erinTokens.accessToken);
    const erinEnable = await call('/auth/2fa/enable', { code: await generate({ secret: erinSetup.json.secret }), currentPassword: PASSWORD }, erinTokens.accessToken);
    expect(erinEnable.status).toBe(200);
    const erinLogin = await call('/auth/login', { email: erin.email, password: PASSWORD, recoveryCode: erinEnable.json.recoveryCodes[0] });

    // the KYC queue: Carol's submission, approved
    await page.getByRole('tab', { name: 'Identity checks' }).click();
    const item = page.getByTestId('admin-kyc-item').filter({ hasText: carol.email });
    await item.getByText('P7654321').waitFor();
    await item.getByText('Passport').waitFor();
    expect(await axeViolations(page, 'admin identity checks')).toEqual([]);
    await item.getByTestId('admin-kyc-approve').click();
    await item.waitFor({ state: 'detached' });
    expect((await call('/me', undefined, carolTokens.accessToken)).json.kycStatus).toBe('verified');

    // rejecting: the reason field takes the focus, and a reason the server refuses is told under it
    const daveItem = page.getByTestId('admin-kyc-item').filter({ hasText: dave.email });
    await daveItem.getByRole('button', { name: 'Reject' }).click();
    const rejectReason = daveItem.getByLabel('Why is it rejected?');
    await expect.poll(() => rejectReason.evaluate((el) => el === document.activeElement)).toBe(true);
    await rejectReason.fill('Blurry \u202Ephoto');
    await daveItem.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => daveItem.locator('.field-error .field-msg.error').count()).toBe(1);
    await expect(rejectReason.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(daveItem.locator('.error-box code').count()).resolves.toBe(0);
    await rejectReason.fill('Blurry photo');
    await daveItem.getByRole('button', { name: 'Reject' }).click();
    await daveItem.waitFor({ state: 'detached' });

    // Finn's was decided by Erin while it showed here: approving it says so and it leaves the queue
    const finnItem = page.getByTestId('admin-kyc-item').filter({ hasText: finn.email });
    await finnItem.waitFor();
    const finnId = (await call('/me', undefined, finnTokens.accessToken)).json.id;
    expect((await call(`/admin/users/${finnId}/kyc`, { status: 'verified' }, erinLogin.json.accessToken)).status).toBe(200);
    await finnItem.getByTestId('admin-kyc-approve').click();
    await page.locator('.toast').filter({ hasText: 'Nothing to review' }).waitFor();
    await finnItem.waitFor({ state: 'detached' });

    // her own submission waits for another admin: no approve or reject is offered on it
    const own = page.getByTestId('admin-kyc-item').filter({ hasText: ada.email });
    await own.getByText('Your own submission: another admin reviews it.').waitFor();
    await expect(own.getByRole('button').count()).resolves.toBe(0);
    await expect.poll(() => page.getByTestId('admin-kyc-item').count()).toBe(1);

    // an announcement, sent after a confirmation
    await page.getByRole('tab', { name: 'Announcement' }).click();
    await page.getByLabel('Title').fill('Maintenance tonight');
    await page.getByLabel('Message').fill('The app pauses at 22:00 UTC for ten minutes.');
    await page.getByTestId('admin-announce-send').click();
    await page.getByText('Send this announcement to every user now?').waitFor();
    expect(await axeViolations(page, 'admin announcement')).toEqual([]);
    // changing the text after the question asks it again: what is sent is what was confirmed
    await page.getByLabel('Message').fill('The app pauses at 22:00 UTC for ten minutes. Sorry!');
    await expect(page.getByText('Send this announcement to every user now?').count()).resolves.toBe(0);
    await page.getByTestId('admin-announce-send').click();
    await page.getByText('Send this announcement to every user now?').waitFor();
    await page.getByTestId('admin-announce-send').click();
    await page.getByText('Announcement sent').first().waitFor();
    // every user's copy is stored by a job a moment later
    await expect.poll(async () => JSON.stringify((await call('/notifications', undefined, carolTokens.accessToken)).json), { timeout: 15_000 }).toContain('Sorry!');

    // demoted by another admin while the page is open: the next refused request turns the page and the tab away
    const adaId = (await call('/me', undefined, login.json.accessToken)).json.id;
    expect((await call(`/admin/users/${adaId}/role`, { role: 'user' }, erinLogin.json.accessToken)).status).toBe(200);
    // opening the users tab asks for the list: 403
    await page.getByRole('tab', { name: 'Users' }).click();
    await page.getByText('This page is for administrators').waitFor();
    await expect(page.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
  });

  it('shows a user no Admin tab and refuses them the page', async () => {
    const page = await signedInPage(carolTokens.refreshToken, 'carol');
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Settings' }).first().waitFor();
    await expect(page.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
    await page.goto(`${server.url}/admin`);
    await page.getByText('This page is for administrators').waitFor();
    await expect(page.getByTestId('admin-user').count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
