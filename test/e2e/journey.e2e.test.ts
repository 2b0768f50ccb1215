import { mkdirSync, rmSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page, Request, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { axeViolations, brokenLabels } from './pages.js';
import { startServer, type RunningServer } from './server.js';

const SHOTS = new URL('../../test-results/', import.meta.url).pathname;
const PASSWORD = 'correct horse battery staple';
const run = Date.now().toString(36);
const alice = { name: 'Alice', email: `alice-${run}@example.com` };
const bob = { name: 'Bob', email: `bob-${run}@example.com` };

let server: RunningServer;
let browser: Browser;
let aliceCtx: BrowserContext;
let bobCtx: BrowserContext;
let a: Page;
let b: Page;
const pageErrors: string[] = [];
let failedStep: string | null = null;

/** One step of the journey; once a step fails the rest fail at once instead of each waiting out its timeouts. */
function step(name: string, fn: () => Promise<void> | void): void {
  it(name, async () => {
    if (failedStep) throw new Error(`not run: the step "${failedStep}" failed`);
    try {
      await fn();
    } catch (err) {
      failedStep = name;
      await Promise.all([a && shot(a, 'failure-alice'), b && shot(b, 'failure-bob')].filter(Boolean)).catch(() => undefined);
      throw err;
    }
  });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

async function open(ctx: BrowserContext, label: string): Promise<Page> {
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(`${label}: ${err.message}`));
  // the shell's Content-Security-Policy must not block anything the app does
  page.on('console', (msg) => void (msg.type() === 'error' && /Content.Security.Policy/i.test(msg.text()) && pageErrors.push(`${label}: ${msg.text()}`)));
  return page;
}

async function signUp(page: Page, who: { name: string; email: string }): Promise<void> {
  await page.goto(`${server.url}/signup`);
  await page.getByLabel('Your name').fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  // a double click creates one account: the form sends once while a sign-up is in flight
  let registers = 0;
  const count = (r: Request) => void (r.url().endsWith('/api/v1/auth/register') && registers++);
  page.on('request', count);
  await page.getByRole('button', { name: 'Create my account' }).dblclick();
  await page.getByRole('heading', { name: 'A new egg is waiting' }).waitFor({ timeout: 20_000 });
  page.off('request', count);
  expect(registers).toBe(1);
}

/** Counts the POSTs `page` sends to the API path `path` while `fn` runs. */
async function countPosts(page: Page, path: string, fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const count = (r: Request) => void (r.method() === 'POST' && new URL(r.url()).pathname === `/api/v1${path}` && n++);
  page.on('request', count);
  try {
    await fn();
  } finally {
    page.off('request', count);
  }
  return n;
}

/** Calls the API as `who` (a password sign-in of its own, outside the browser). */
async function apiAs(who: { email: string }): Promise<(path: string, body?: unknown, method?: string) => Promise<unknown>> {
  const call = async (path: string, body?: unknown, token?: string, method = body === undefined ? 'GET' : 'POST') => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const { accessToken } = (await call('/auth/login', { email: who.email, password: PASSWORD })) as { accessToken: string };
  return (path, body, method) => call(path, body, accessToken, method);
}

/** The newest mail the dev outbox holds for `to` (the e2e server has no SMTP server). */
async function waitForMail(to: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${server.url}/api/v1/dev/outbox`);
    const mail = ((await res.json()) as { items: Array<{ to: string; text: string }> }).items.find((m) => m.to === to);
    if (mail) return mail.text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail to ${to}`);
}

async function bellCount(page: Page): Promise<number> {
  const badge = page.getByTestId('bell-count');
  return (await badge.count()) ? Number((await badge.innerText()).replace(/\D/g, '')) : 0;
}

/**
 * axe-core's colour-contrast findings on `selector`, whose background is a gradient: axe cannot rate text on a
 * gradient (it leaves it "incomplete"), so the element is given each colour of its gradient in turn, solid, and
 * axe rates it on each; anything it cannot rate counts too. Between two stops the colour is never lighter than
 * the lighter stop (the sRGB curve is convex), so white text passing on every stop passes on the whole gradient.
 */
async function gradientContrast(page: Page, selector: string): Promise<string[]> {
  const box = page.locator(selector);
  const image = await box.evaluate((el) => getComputedStyle(el).backgroundImage);
  const stops = image.match(/rgba?\([^)]*\)/g) ?? [];
  if (!image.includes('gradient') || stops.length < 2) return [`${selector}: no gradient background (${image})`];
  const found: string[] = [];
  await page.emulateMedia({ reducedMotion: 'reduce' });
  try {
    for (const stop of stops) {
      await box.evaluate((el, colour) => void (el as HTMLElement).style.setProperty('background', colour), stop);
      const { violations, incomplete } = await new AxeBuilder({ page }).include(selector).withRules(['color-contrast']).analyze();
      for (const v of [...violations, ...incomplete]) found.push(`${selector} on ${stop}: ${v.id} ${v.nodes.map((n) => `${n.target.join(' ')} ${n.any.map((c) => c.message).join(' ')}`).join(' ; ')}`);
    }
  } finally {
    await box.evaluate((el) => void (el as HTMLElement).style.removeProperty('background'));
    await page.emulateMedia({ reducedMotion: null });
  }
  return found;
}

async function balanceOf(page: Page): Promise<string> {
  return (await page.getByTestId('balance').innerText()).replace(/[^\d.,]/g, '');
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  for (const who of ['alice', 'bob']) rmSync(`${SHOTS}failure-${who}.png`, { force: true });
  // Both browsers share one IP, so the per-IP strict tier (sign-up, sign-in, refresh) gets headroom.
  server = await startServer({ RATE_LIMIT_STRICT: '60' });
  browser = await launchChromium();
  aliceCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', timezoneId: 'Europe/Paris' });
  bobCtx = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  a = await open(aliceCtx, 'alice');
  b = await open(bobCtx, 'bob');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a new user plays StreakPets in the browser', () => {
  step('signs up (and the page works at phone width)', async () => {
    await a.goto(`${server.url}/`);
    await a.getByRole('heading', { name: 'Welcome back!' }).waitFor();
    await a.getByRole('link', { name: 'Sign up' }).click();
    await a.getByRole('heading', { name: 'Adopt a pet' }).waitFor();
    await shot(a, 'e2e-01-signup');
    await signUp(a, alice);
    await signUp(b, bob);
  });

  step('creates a pet and sees it at home', async () => {
    await a.getByLabel('Pet name').fill('Mochi');
    await a.getByRole('button', { name: 'Adopt this egg' }).click();
    await a.getByRole('heading', { name: /Mochi/ }).waitFor();
    await expect.poll(() => a.getByTestId('streak').isVisible()).toBe(true);
    // streak days count in the browser's time zone, which sign-up saved on the profile
    expect(await (await apiAs(alice))('/me')).toMatchObject({ timezone: 'Europe/Paris' });
    await shot(a, 'e2e-02-pet-home');
    expect(await axeViolations(a, 'home')).toEqual([]);
  });

  step('keeps the session across a reload (silent refresh)', async () => {
    await a.reload();
    await a.getByRole('heading', { name: /Mochi/ }).waitFor({ timeout: 15_000 });
  });

  step('feeds the pet', async () => {
    const [res] = await Promise.all([
      a.waitForResponse((r) => r.url().includes('/interactions') && r.request().method() === 'POST'),
      a.getByTestId('action-feed').click(),
    ]);
    expect(res.status(), await res.text()).toBeLessThan(300);
    await a.getByText(/\+\d+ XP/).first().waitFor();
    await shot(a, 'e2e-03-fed');
  });

  step('chats: the persona reply arrives (live in a second tab too), slash commands autocomplete', async () => {
    await a.getByRole('link', { name: /^Chat($|\s\d)/ }).click();
    const input = a.getByTestId('chat-input');
    await input.waitFor();
    // the Chat tab's unread count is not fetched while the chat is open (a burst of chat met the rate limit)
    let unreadFetches = 0;
    const countUnread = (r: Request) => void (r.url().includes('/api/v1/chats/unread') && unreadFetches++);
    a.on('request', countUnread);
    const otherTab = await open(aliceCtx, 'alice tab 2');
    await otherTab.goto(`${server.url}/chat`);
    await otherTab.getByTestId('chat-input').waitFor();
    await input.fill('Hello Mochi, how are you?');
    await input.press('Enter');
    await a.getByTestId('msg-user').filter({ hasText: 'Hello Mochi' }).waitFor();
    await a.getByTestId('msg-pet').first().waitFor({ timeout: 20_000 });
    expect((await a.getByTestId('msg-pet').first().innerText()).trim().length).toBeGreaterThan(0);
    await otherTab.getByTestId('msg-user').filter({ hasText: 'Hello Mochi' }).waitFor({ timeout: 10_000 });
    await otherTab.getByTestId('msg-pet').first().waitFor({ timeout: 10_000 });
    await otherTab.close();
    // the reply was read where it arrived: no unread count stays on the Chat tab
    await expect.poll(() => a.getByRole('link', { name: /^Chat\s\d/ }).count(), { timeout: 10_000 }).toBe(0);
    a.off('request', countUnread);
    expect(unreadFetches).toBe(0);
    // with her message and the pet's reply on screen
    expect(await axeViolations(a, 'chat')).toEqual([]);
    await input.fill('/pa');
    await a.getByRole('option', { name: /\/pay/ }).waitFor();
    await shot(a, 'e2e-04-chat');
    await input.fill('');
  });

  step('opens a long conversation at the newest message', async () => {
    const as = await apiAs(alice);
    const { pets } = (await as('/pets')) as { pets: { id: string }[] };
    // off the chat page a pet's reply puts a count on the Chat tab, fetched once for a burst of replies
    await a.getByRole('link', { name: /^Pet$/ }).first().click();
    await a.getByRole('heading', { name: /Mochi/ }).waitFor();
    let unreadFetches = 0;
    const countUnread = (r: Request) => void (r.url().includes('/api/v1/chats/unread') && unreadFetches++);
    a.on('request', countUnread);
    for (let i = 1; i <= 3; i++) await as(`/pets/${pets[0]!.id}/messages`, { content: `Are you there? ${i}` });
    await a.getByRole('link', { name: /^Chat\s3/ }).first().waitFor({ timeout: 10_000 });
    a.off('request', countUnread);
    expect(unreadFetches).toBeLessThanOrEqual(2);
    // seed away from the chat page, so it does not render 100 live messages first
    await a.goto('about:blank');
    for (let i = 1; i <= 50; i++) await as(`/pets/${pets[0]!.id}/messages`, { content: `Backlog message ${i}` });
    for (const open of [() => a.goto(`${server.url}/chat`), () => a.reload()]) {
      await open();
      const newest = a.getByTestId('msg-user').filter({ hasText: 'Backlog message 50' });
      await newest.waitFor();
      await a.waitForTimeout(1_000);
      await expect.poll(() => newest.evaluate((el) => {
        const box = el.closest('.chat-scroll')!.getBoundingClientRect();
        const row = el.getBoundingClientRect();
        return row.top >= box.top && row.bottom <= box.bottom;
      })).toBe(true);
      expect(await a.getByText('This is the very beginning of your story').count()).toBe(0);
      expect(await a.locator('.msg-text', { hasText: /^Backlog message 1$/ }).count()).toBe(0);
    }
  });

  step('gets faucet funds on the embedded chain, and gives the pet a wallet of its own', async () => {
    await a.getByRole('link', { name: 'Wallet', exact: true }).click();
    await a.getByTestId('balance').waitFor();
    const petWallet = a.getByTestId('pet-wallet');
    await petWallet.getByRole('button', { name: /a wallet$/ }).click();
    await expect.poll(() => petWallet.innerText(), { timeout: 10_000 }).toMatch(/^Mochi\s+0\.00 USDC ·\s+0x[0-9a-f]{4}…[0-9a-f]{4}$/);
    await a.getByTestId('faucet').click();
    await expect
      .poll(async () => Number((await balanceOf(a)).replace(/,/g, '')), { timeout: 60_000, interval: 1_000 })
      .toBeGreaterThan(0);
    await a.locator('.tx', { hasText: 'Test funds' }).getByText(/^from StreakPets ·/).waitFor({ timeout: 30_000 });
    // the white text on the balance card's gradient reaches AA on every part of it, as axe rates it
    expect(await gradientContrast(a, '.balance-card')).toEqual([]);
  });

  step('pays a second user, who sees the notification live in another browser', async () => {
    await b.goto(`${server.url}/`);
    await b.getByTestId('bell').waitFor();
    await b.waitForLoadState('networkidle');
    const before = await bellCount(b);

    await a.getByLabel('To', { exact: true }).fill(`nobody-${run}@example.com`);
    await a.getByLabel('Amount (USDC)').fill('100000000');
    await a.getByText("That's more than your balance.").waitFor();
    expect(await a.getByRole('button', { name: 'Review' }).isDisabled()).toBe(true);
    // a leading zero reads as the number it writes: the review and the payment say 1.25, which the server takes
    await a.getByLabel('Amount (USDC)').fill('01.25');
    await a.getByLabel('Note (optional)').fill('Pizza on Friday');
    await a.getByRole('button', { name: 'Review' }).click();
    await a.getByRole('alert').filter({ hasText: /recipient|found/i }).waitFor();
    await a.getByLabel('To', { exact: true }).fill(bob.email);
    // from the keyboard: Enter reviews, and the keyboard lands on the review, not on the page body
    await a.getByLabel('To', { exact: true }).press('Enter');
    await a.getByTestId('send-review').waitFor();
    expect(await a.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('send-review');
    const reviewed = await a.getByTestId('send-recipient').innerText();
    expect(reviewed).toMatch(/^Bob\s+0x[0-9a-f]{40}$/);
    expect(await a.getByTestId('send-memo').innerText()).toBe('Pizza on Friday');
    await shot(a, 'e2e-05a-send-review');
    // a double click on "Send now" pays once, with one "Payment sent"
    let res!: Response;
    const transfers = await countPosts(a, '/transfers', async () => {
      [res] = await Promise.all([
        a.waitForResponse((r) => r.url().endsWith('/api/v1/transfers') && r.request().method() === 'POST'),
        a.getByTestId('send-confirm').dblclick(),
      ]);
      await a.locator('.toast', { hasText: 'Payment sent' }).first().waitFor();
    });
    expect(transfers).toBe(1);
    expect(await a.locator('.toast', { hasText: 'Payment sent' }).count()).toBe(1);
    expect(res.status(), await res.text()).toBe(202);
    expect(res.request().headers()['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    // the payment goes to the address the review showed
    expect(JSON.parse(res.request().postData() ?? '{}')).toMatchObject({ to: reviewed.split(/\s+/)[1], amount: '1.25' });
    // after sending, the keyboard is back in the form's first field
    expect(await a.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('to');
    // Escape closes the QR code
    await a.getByRole('button', { name: 'Show QR code' }).click();
    await a.locator('img.qr').waitFor();
    await a.keyboard.press('Escape');
    await a.locator('img.qr').waitFor({ state: 'detached' });
    const sent = a.locator('.tx', { hasText: '1.25' });
    await sent.getByTestId('tx-status').filter({ hasText: 'Confirmed' }).waitFor({ timeout: 60_000 });
    await sent.getByText(/^to Bob ·/).waitFor();
    await sent.getByText('“Pizza on Friday”').waitFor();
    // user-written text is isolated, so bidi controls in a memo or a name cannot reorder the row
    expect(await sent.locator('.tx-memo bdi').innerText()).toBe('Pizza on Friday');
    expect(await sent.locator('.tx-main small bdi').first().innerText()).toBe('Bob');
    await sent.locator('.tx-row').click();
    expect(await sent.getByTestId('tx-memo').innerText()).toBe('Pizza on Friday');
    await expect.poll(() => sent.getByTestId('tx-gas-fee').innerText(), { timeout: 10_000 }).toMatch(/^0\.0*[1-9]\d{0,3} ETH$/);
    // gas used is a count grouped the locale's way (51,555), not the raw digits
    expect(await sent.getByTestId('tx-gas-used').innerText()).toMatch(/^\d{1,3}(,\d{3})+$/);
    await shot(a, 'e2e-05-wallet');
    expect(await axeViolations(a, 'wallet')).toEqual([]);

    await expect.poll(() => bellCount(b), { timeout: 30_000, interval: 250 }).toBeGreaterThan(before);
    await b.getByTestId('bell').click();
    await b.getByTestId('notification').first().waitFor();
    expect(await b.getByTestId('notification').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/1[.,]25/)]));
    // the preferences list every type the server has, payment requests included
    await b.getByRole('button', { name: 'Preferences' }).click();
    expect(await b.getByRole('checkbox', { name: 'Payment request' }).isChecked()).toBe(true);
    await shot(b, 'e2e-06-notifications');
    expect(await axeViolations(b, 'notifications (desktop)')).toEqual([]);
  });

  step("pays from her pet's wallet, whose balance drops", async () => {
    const as = await apiAs(alice);
    const { wallets } = (await as('/wallets')) as { wallets: { id: string; kind: string; address: string }[] };
    const petWallet = wallets.find((w) => w.kind === 'pet')!;
    await as('/transfers', { to: petWallet.address, amount: '2' });
    const petCard = a.getByTestId('pet-wallet');
    await expect.poll(() => petCard.innerText(), { timeout: 60_000, interval: 500 }).toMatch(/^Mochi\s+2\.00 USDC/);
    // "From" offers her wallet, then her pet's, named after it, with the chosen one's balance
    const from = a.getByLabel('From', { exact: true });
    expect((await from.locator('option').allInnerTexts()).map((o) => o.replace(/[\u2068\u2069]/g, ''))).toEqual(['Your wallet', "Mochi's wallet"]);
    await from.selectOption(petWallet.id);
    await a.getByTestId('send-from-balance').filter({ hasText: 'Balance: 2.00 USDC' }).waitFor();
    await a.getByLabel('To', { exact: true }).fill(bob.email);
    // the amount is checked against the pet's wallet, not hers
    await a.getByLabel('Amount (USDC)').fill('3');
    await a.getByText(/^That's more than .?Mochi.?'s wallet holds\.$/).waitFor();
    expect(await a.getByRole('button', { name: 'Review' }).isDisabled()).toBe(true);
    await a.getByLabel('Amount (USDC)').fill('0.6');
    await shot(a, 'e2e-05e-send-from-pet');
    await a.getByLabel('Amount (USDC)').press('Enter');
    await a.getByTestId('send-review').waitFor();
    expect(await a.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('send-review');
    expect((await a.getByTestId('send-review-from').innerText()).replace(/[\u2068\u2069]/g, '')).toBe("Mochi's wallet");
    const [res] = await Promise.all([
      a.waitForResponse((r) => r.url().endsWith('/api/v1/transfers') && r.request().method() === 'POST'),
      a.getByTestId('send-confirm').click(),
    ]);
    expect(res.status(), await res.text()).toBe(202);
    expect(JSON.parse(res.request().postData() ?? '{}')).toMatchObject({ fromWalletId: petWallet.id, amount: '0.6' });
    expect(await a.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('to');
    await expect.poll(() => petCard.innerText(), { timeout: 60_000, interval: 500 }).toMatch(/^Mochi\s+1\.40 USDC/);
    await a.getByTestId('send-from-balance').filter({ hasText: 'Balance: 1.40 USDC' }).waitFor();
  });

  step('keeps a phone page from scrolling sideways with a 40-letter pet name, and the language picker in its card', async () => {
    const long = 'B'.repeat(40);
    await (await apiAs(bob))('/pets', { name: long });
    await b.setViewportSize({ width: 390, height: 844 });
    await b.goto(`${server.url}/`);
    await b.getByRole('heading', { name: long }).waitFor();
    expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await b.getByRole('button', { name: 'Rename' }).click();
    expect(await b.getByLabel('Pet name').inputValue()).toBe(long);
    // with a wallet of its own, that pet is named in the Pet wallets card and in the send form's "From"
    // choice: neither widens the wallet page past the phone (it scrolled sideways to 586 px)
    const bobApi0 = await apiAs(bob);
    const { pets: bobPets } = (await bobApi0('/pets')) as { pets: { id: string; name: string }[] };
    const { id: longWallet } = (await bobApi0('/wallets', { kind: 'pet', petId: bobPets.find((p) => p.name === long)!.id })) as { id: string };
    await b.goto(`${server.url}/wallet`);
    await b.getByTestId('pet-wallet').filter({ hasText: long }).waitFor();
    expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await b.getByTestId('send-from').selectOption(longWallet);
    await shot(b, 'e2e-07b-wallet-phone-long-pet');
    expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // at two-column width the language choices stay inside their card
    await b.setViewportSize({ width: 800, height: 860 });
    await b.goto(`${server.url}/settings`);
    await b.getByTestId('locale-de').waitFor();
    const overflow = await b.evaluate(() => {
      const card = document.querySelector('.lang-grid')!.closest('.card')!.getBoundingClientRect();
      return [...document.querySelectorAll('.lang-option')].filter((o) => o.getBoundingClientRect().right > card.right + 0.5).length;
    });
    expect(overflow).toBe(0);
    // a language name never wraps or is cut, in a phone's single card or a desktop's three columns ("Portuguê" / "s")
    expect(await brokenLabels(b, '.lang-option span')).toEqual([]);
    await b.setViewportSize({ width: 390, height: 844 });
    expect(await brokenLabels(b, '.lang-option span')).toEqual([]);
    await b.setViewportSize({ width: 1280, height: 860 });
    expect(await brokenLabels(b, '.lang-option span')).toEqual([]);
    // Settings opened first in a browser whose language differs from the profile's ticks the profile's
    const bobApi = await apiAs(bob);
    await bobApi('/me', { locale: 'fr' }, 'PATCH');
    await b.goto(`${server.url}/settings`);
    await b.getByRole('heading', { name: 'Langue' }).waitFor();
    expect(await b.getByTestId('locale-fr').isChecked()).toBe(true);
    expect(await b.getByTestId('locale-en').isChecked()).toBe(false);
    await bobApi('/me', { locale: 'en' }, 'PATCH');
    await b.goto(`${server.url}/settings`);
    await b.getByRole('heading', { name: 'Language' }).waitFor();
  });

  step('pays from the chat with /pay and a confirmation card', async () => {
    await a.getByRole('link', { name: /^Chat($|\s\d)/ }).click();
    const input = a.getByTestId('chat-input');
    // a cancelled card stays cancelled after a reload: the server spent its code
    await input.fill(`/pay ${bob.email} 0.25`);
    await input.press('Escape');
    await input.press('Enter');
    const dropped = a.getByTestId('pay-confirm').last();
    await dropped.waitFor({ timeout: 20_000 });
    await dropped.getByRole('button', { name: 'Cancel' }).click();
    await dropped.getByText('Payment not sent.').waitFor({ timeout: 20_000 });
    await a.reload();
    await a.getByTestId('pay-confirm').last().getByText('Payment not sent.').waitFor({ timeout: 20_000 });
    await input.fill(`/pay ${bob.email} 0.5`);
    await input.press('Escape');
    await input.press('Enter');
    const card = a.getByTestId('pay-confirm').last();
    await card.waitFor({ timeout: 20_000 });
    await shot(a, 'e2e-05b-chat-pay');
    const systemBefore = await a.getByTestId('msg-system').count();
    await card.getByRole('button', { name: 'Confirm and pay' }).click();
    await expect.poll(() => a.getByTestId('msg-system').count(), { timeout: 20_000 }).toBeGreaterThan(systemBefore);
    await card.getByText('Confirmation sent.').waitFor();
  });

  step("writes wallet and chat times in the profile's time zone, not the browser's", async () => {
    // Bob's profile is in Tokyo while his browser is not
    const bobApi = await apiAs(bob);
    await bobApi('/me', { timezone: 'Asia/Tokyo', preferences: { timezoneChosen: true } }, 'PATCH');
    expect(await b.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).not.toBe('Asia/Tokyo');
    const inZone = (at: string, options: Intl.DateTimeFormatOptions, timeZone?: string) =>
      b.evaluate(([when, opts, zone]) => new Intl.DateTimeFormat('en', { ...opts, timeZone: zone ?? undefined }).format(new Date(when)), [at, options, timeZone ?? null] as const);
    const { transactions } = (await bobApi('/transactions')) as { transactions: { amount: string; timestamp: string }[] };
    const at = transactions.find((tx) => tx.amount === '1.25')!.timestamp;
    await b.goto(`${server.url}/wallet`);
    const paid = b.locator('.tx', { hasText: '1.25' });
    await paid.getByText('“Pizza on Friday”').waitFor({ timeout: 30_000 });
    await paid.locator('.tx-row').click();
    const dateTime: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };
    expect(await paid.getByTestId('tx-time').innerText()).toBe(await inZone(at, dateTime, 'Asia/Tokyo'));
    expect(await inZone(at, dateTime, 'Asia/Tokyo')).not.toBe(await inZone(at, dateTime));
    // and so do the chat's message times
    const { pets } = (await bobApi('/pets')) as { pets: { id: string }[] };
    const { message } = (await bobApi(`/pets/${pets[0]!.id}/messages`, { content: 'What time is it?' })) as { message: { createdAt: string } };
    await b.goto(`${server.url}/chat`);
    const meta = b.getByTestId('msg-user').filter({ hasText: 'What time is it?' }).locator('.msg-meta');
    await meta.waitFor();
    expect((await meta.innerText()).split(' · ')[0]).toBe(await inZone(message.createdAt, { hour: '2-digit', minute: '2-digit' }, 'Asia/Tokyo'));
  });

  step('asks for money with a payment request, which the payer pays', async () => {
    await b.goto(`${server.url}/wallet`);
    await b.locator('.tx', { hasText: '1.25' }).getByText('“Pizza on Friday”').waitFor({ timeout: 30_000 });
    await b.goto(`${server.url}/wallet?tab=requests`);
    await b.getByLabel('From who').fill(alice.email);
    await b.getByLabel('Amount (USDC)').fill('0.75');
    // a double click sends one request
    const created = await countPosts(b, '/intents', async () => {
      await b.getByRole('button', { name: 'Send request' }).dblclick();
      await b.locator('.intent', { hasText: '0.75' }).waitFor();
    });
    expect(created).toBe(1);
    await a.getByRole('link', { name: 'Wallet', exact: true }).click();
    await a.getByRole('tab', { name: 'Requests' }).click();
    const request = a.locator('.intent', { hasText: '0.75' });
    await request.getByText('Bob asks you to pay').waitFor();
    // a refused Pay (answered here by the test) leaves the next click a new attempt, under a new Idempotency-Key
    const fundKeys: string[] = [];
    const fund = '**/api/v1/intents/*/fund';
    await a.route(fund, async (route) => {
      fundKeys.push(route.request().headers()['idempotency-key'] ?? '');
      if (fundKeys.length > 1) return route.continue();
      return route.fulfill({ status: 422, contentType: 'application/problem+json', body: JSON.stringify({ status: 422, code: 'insufficient_balance', title: 'Not enough USDC' }) });
    });
    await request.getByRole('button', { name: 'Pay' }).click();
    // the refusal shows on the request's own row, not above the list
    await request.getByRole('alert').filter({ hasText: 'Not enough USDC' }).waitFor();
    await request.getByRole('button', { name: 'Pay' }).click();
    await request.getByText(/Paid|Completed/).waitFor({ timeout: 60_000 });
    await a.unroute(fund);
    expect(fundKeys).toHaveLength(2);
    expect(fundKeys[1]).not.toBe(fundKeys[0]);
    await shot(a, 'e2e-05c-requests');
    // a request past its time reads Expired, with no button, before the server's expiry job gets to it
    await (await apiAs(bob))('/intents', { payer: alice.email, amount: '0.1', expiresAt: new Date(Date.now() + 75_000).toISOString() });
    await bobCtx.clock.install();
    await b.reload();
    const soon = b.locator('.intent', { hasText: '0.10 USDC' });
    await soon.getByText(/Waiting/).waitFor();
    expect(await soon.getByRole('button', { name: 'Cancel' }).count()).toBe(1);
    await bobCtx.clock.fastForward(90_000);
    await soon.getByText('Expired').waitFor({ timeout: 5_000 });
    expect(await soon.getByRole('button').count()).toBe(0);
    expect(await soon.innerText()).not.toMatch(/expires/);
  });

  step('claims a basename', async () => {
    const name = `alice${run}`.slice(0, 20);
    await a.getByRole('tab', { name: 'Names' }).click();
    await a.getByLabel('Find a name').fill(name);
    await a.getByRole('button', { name: 'Check' }).click();
    await a.getByText('is available').waitFor();
    const registered = await countPosts(a, '/basenames', async () => {
      await a.getByRole('button', { name: 'Register' }).dblclick();
      await a.getByTestId('my-names').locator('li', { hasText: name }).waitFor({ timeout: 60_000 });
    });
    expect(registered).toBe(1);
    const record = a.getByTestId('name-record').filter({ hasText: name });
    await record.getByTestId('name-event').filter({ hasText: /^Registered · .* · fee 1\.00 USDC/ }).waitFor();
    // its expiry reads as a date ("expires on Nov 25, 2027"), not a time slotted into "expires in …"
    await record.getByTestId('name-event').filter({ hasText: / · expires on [A-Z][a-z]{2} \d{1,2}, \d{4}$/ }).waitFor();
    await shot(a, 'e2e-05d-names');
    // she gives it to Bob from the tab: the keyboard goes to the recipient, an unknown one is refused beside the name
    const held = a.getByTestId('my-name').filter({ hasText: name });
    await held.getByRole('button', { name: /^Transfer/ }).click();
    expect(await a.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('name-to');
    // Cancel closes it and puts the keyboard back on the name's Transfer button
    await held.getByRole('button', { name: 'Cancel' }).click();
    expect(await a.evaluate(() => document.activeElement?.textContent)).toBe('Transfer');
    await held.getByRole('button', { name: /^Transfer/ }).click();
    // a recipient without spaces (an address, a long email) wraps in the review: the phone does not scroll sideways
    await held.getByLabel('Give it to').fill(`nobody-${'x'.repeat(40)}-${run}@example.com`);
    await held.getByLabel('Give it to').press('Enter');
    await held.getByTestId('name-transfer-review').waitFor();
    expect(await a.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('name-transfer-review');
    expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await held.getByTestId('name-transfer-confirm').click();
    await held.getByRole('alert').filter({ hasText: 'Unknown recipient' }).waitFor();
    await shot(a, 'e2e-05f-name-transfer');
    await held.getByRole('button', { name: 'Edit' }).click();
    await held.getByLabel('Give it to').fill(bob.email);
    await held.getByRole('button', { name: 'Review' }).click();
    expect(await held.getByTestId('name-transfer-review').innerText()).toContain(`Give ${name} to ${bob.email}?`);
    const [given] = await Promise.all([
      a.waitForResponse((r) => r.url().endsWith(`/api/v1/basenames/${name}/transfer`)),
      held.getByTestId('name-transfer-confirm').click(),
    ]);
    expect(given.status(), await given.text()).toBe(200);
    await a.getByText('You hold no name right now').waitFor();
    // the keyboard stays in the list the name left, not on the page body (its Transfer button is gone)
    expect(await a.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('My names');
    // after giving her only name away, the list drops it, the tab says so and keeps its history
    await a.getByText('You hold no name right now').waitFor();
    expect(await a.getByTestId('my-name').count()).toBe(0);
    await record.getByText('no longer yours').waitFor();
    expect(await record.getByTestId('name-event').allInnerTexts()).toEqual([expect.stringMatching(/^Given to another user · /), expect.stringMatching(/^Registered · /)]);
  });

  step('shows the activity feed and stats', async () => {
    // an event the client logged itself reads as a custom event under the name it was given, not as `client.csvtest`
    await (await apiAs(alice))('/activity', { action: 'csvtest', category: 'pet', details: {} });
    // the phone's tab labels stay on one line, whole
    expect(await brokenLabels(a, '.tabbar .tab-label')).toEqual([]);
    await a.getByRole('link', { name: 'Activity', exact: true }).click();
    await a.getByTestId('activity-feed').locator('li').first().waitFor({ timeout: 20_000 });
    const custom = a.getByTestId('activity-feed').locator('strong', { hasText: 'Custom event: csvtest' });
    await custom.waitFor();
    expect(await custom.locator('bdi').innerText()).toBe('csvtest');
    expect(await a.getByTestId('activity-feed').innerText()).not.toContain('client.');
    // the charts count in her profile's zone (Europe/Paris), not in UTC, and say so
    expect(await a.getByTestId('stats-time-zone').innerText()).toBe('Days and hours in the Europe/Paris time zone');
    const parisHour = (ms: number) => `${new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).format(ms)}:00`;
    const busiest = (await a.getByRole('img', { name: /^Your busiest hours: / }).getAttribute('aria-label')) ?? '';
    expect([parisHour(Date.now()), parisHour(Date.now() - 120_000)].some((h) => busiest.includes(h))).toBe(true);
    await shot(a, 'e2e-07-activity');
    expect(await axeViolations(a, 'activity')).toEqual([]);
  });

  step('turns on two-step verification, signs out, and signs back in with a recovery code', async () => {
    await a.getByRole('link', { name: 'Settings', exact: true }).click();
    expect(await a.getByLabel('Your time zone').inputValue()).toBe('Europe/Paris');
    // with her API sign-ins listed as other sessions, each with its (danger) "Sign this device out" button
    await a.getByRole('button', { name: 'Sign this device out' }).first().waitFor();
    expect(await axeViolations(a, 'settings')).toEqual([]);
    await a.getByRole('button', { name: 'Set up' }).click();
    await a.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    await shot(a, 'e2e-08a-settings-2fa');
    const secret = (await a.locator('.form code.wrap').innerText()).trim();
    await a.getByLabel('Verification code').fill(await generate({ secret }));
    // turning it on asks for the password again: a signed-in session alone cannot lock the owner out
    await a.getByLabel('Current password').fill('not my password');
    await a.getByRole('button', { name: 'Turn on' }).click();
    await a.getByText('is not your current password', { exact: true }).waitFor();
    // told once, under the field: the error box above does not list it again under its API name
    expect(await a.locator('.error-box li').count()).toBe(0);
    await a.getByLabel('Current password').fill(PASSWORD);
    await a.getByRole('button', { name: 'Turn on' }).click();
    await a.locator('.codes code').first().waitFor();
    const codes = await a.locator('.codes code').allInnerTexts();
    expect(codes.length).toBeGreaterThan(0);
    await a.getByRole('button', { name: 'I saved them' }).click();
    await a.getByText('On', { exact: true }).waitFor();
    await a.getByRole('button', { name: 'Sign out' }).first().click();
    await a.getByRole('heading', { name: 'Welcome back!' }).waitFor();
    // a ?next= naming another site is ignored: the app opens its home page
    await a.goto(`${server.url}/signin?next=${encodeURIComponent('//evil.example/x')}`);
    await a.getByLabel('Email').fill(alice.email);
    await a.getByLabel('Password').fill(PASSWORD);
    await a.getByRole('button', { name: 'Sign in' }).click();
    await a.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await a.getByLabel('Verification code').fill(codes[0]);
    await a.getByRole('button', { name: 'Verify' }).click();
    await a.getByRole('heading', { name: /Mochi/ }).waitFor();
    expect(a.url()).toBe(`${server.url}/`);
  });

  step('switches to Japanese and sees the UI in Japanese, kept after a reload', async () => {
    await a.getByRole('link', { name: 'Settings', exact: true }).click();
    await a.getByRole('heading', { name: 'Settings' }).waitFor();
    // the sign-in history reads the two-step sign-in as it was: password accepted, then a recovery code
    await a.getByTestId('login-entry').filter({ hasText: 'Password OK, code asked' }).first().waitFor();
    await a.getByTestId('login-entry').filter({ hasText: 'Success with recovery code' }).first().waitFor();
    await a.getByTestId('locale-ja').check();
    await a.getByRole('heading', { name: '設定' }).waitFor();
    await a.getByRole('link', { name: 'ペット' }).first().waitFor();
    // "アクティビティ" fits its phone tab whole (it broke before its last kana)
    expect(await brokenLabels(a, '.tabbar .tab-label')).toEqual([]);
    await shot(a, 'e2e-08-settings-ja');
    // the deletion form at phone width in Japanese: a wrong password is told under the password, nothing overflows
    const danger = a.locator('section.card', { hasText: 'アカウントの削除' });
    await danger.getByRole('button', { name: 'アカウントを削除…' }).click();
    await danger.getByLabel('あなたのパスワード').fill('not my password');
    await danger.getByRole('textbox', { name: /認証/ }).fill('000000');
    await danger.getByRole('checkbox').check();
    await danger.getByRole('button', { name: 'アカウントを完全に削除' }).click();
    await danger.locator('.field', { has: a.getByLabel('あなたのパスワード') }).getByText('現在のパスワードと一致しません').waitFor();
    expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // a checkbox beside its sentence, not a 44px-high full-width box above it
    const box = (await danger.getByRole('checkbox').boundingBox())!;
    const sentence = (await danger.getByText('この操作は取り消せないことを理解しました。').boundingBox())!;
    expect(box.width).toBeLessThan(30);
    expect(sentence.y).toBeLessThan(box.y + box.height);
    expect(await axeViolations(a, 'account deletion (ja)')).toEqual([]);
    await shot(a, 'e2e-08b-delete-account-ja');
    await danger.getByRole('button', { name: 'キャンセル' }).click();
    await a.reload();
    await a.getByRole('heading', { name: '設定' }).waitFor({ timeout: 15_000 });
    await a.getByRole('link', { name: 'ペット' }).first().click();
    await a.getByRole('button', { name: /ごはん/ }).waitFor();
    await shot(a, 'e2e-09-pet-home-ja');
    expect(await axeViolations(a, 'home (ja)')).toEqual([]);
  });

  step('changes the email address with the code mailed to the new one, then deletes the account once its wallets are empty', async () => {
    const bobNew = `bob-new-${run}@example.com`;
    await b.goto(`${server.url}/settings`);
    await b.getByLabel('New email address').fill(bobNew);
    await b.getByLabel('Your password').fill('not my password');
    await b.getByRole('button', { name: 'Send code to the new address' }).click();
    await b.getByText('is not your current password', { exact: true }).waitFor();
    await b.getByLabel('Your password').fill(PASSWORD);
    await b.getByRole('button', { name: 'Send code to the new address' }).click();
    await b.getByText(`We sent a 6-digit code to ${bobNew}.`, { exact: false }).waitFor();
    // the code's form replaces the one typed into: the keyboard goes on in it
    await expect.poll(() => b.evaluate(() => document.activeElement?.getAttribute('autocomplete'))).toBe('one-time-code');
    const mail = await waitForMail(bobNew);
    const code = /\b(\d{6})\b/.exec(mail)![1];
    await b.getByLabel('Code from the email').fill(code === '000000' ? '111111' : '000000');
    await b.getByRole('button', { name: 'Change my address' }).click();
    await b.getByText('The code is not correct', { exact: false }).waitFor();
    await b.getByLabel('Code from the email').fill(code);
    await b.getByRole('button', { name: 'Change my address' }).click();
    await b.locator('.toast', { hasText: 'Email address changed' }).first().waitFor();
    await b.locator('strong', { hasText: bobNew }).waitFor();

    const danger = b.locator('section.card', { hasText: 'Delete account' });
    await danger.getByRole('button', { name: 'Delete my account…' }).click();
    await expect.poll(() => b.evaluate(() => document.activeElement?.getAttribute('autocomplete'))).toBe('current-password');
    await danger.getByLabel('Your password').fill(PASSWORD);
    await danger.getByRole('checkbox').check();
    await danger.getByRole('button', { name: 'Delete my account for good' }).click();
    await danger.getByText('Send it to another wallet first', { exact: false }).waitFor();

    // the money goes back to Alice first: deleting never drops it
    const asBob = await apiAs({ email: bobNew });
    const wallets = ((await asBob('/wallets')) as { wallets: Array<{ balances: { token: { amount: string } } }> }).wallets;
    const sent = (await asBob('/transfers', { to: alice.email, amount: wallets[0].balances.token.amount })) as { id: string };
    await expect.poll(async () => ((await asBob(`/transactions/${sent.id}`)) as { status: string }).status, { timeout: 30_000 }).toBe('confirmed');

    await danger.getByRole('button', { name: 'Delete my account for good' }).click();
    await b.getByRole('heading', { name: 'Welcome back!' }).waitFor();
    const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: bobNew, password: PASSWORD }) });
    expect(login.status).toBe(401);
  });

  step('raised no uncaught errors in either browser', () => {
    expect(pageErrors).toEqual([]);
  });
});
