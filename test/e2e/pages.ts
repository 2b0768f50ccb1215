import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** A JSON call to the app's API at `baseUrl` (GET without a body, POST with one), as a client script makes it. */
export async function apiCall(baseUrl: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, any> };
}

/**
 * axe-core's serious and critical violations on the page as it stands (one line each, naming the rule and
 * the elements), so a screen a spec visits fails on them. Animations and transitions are settled first
 * (reduced motion, just for the scan): a toast fading in would read as low contrast.
 */
export async function axeViolations(page: Page, screen: string): Promise<string[]> {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  try {
    const { violations } = await new AxeBuilder({ page }).analyze();
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${screen}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(' ; ')}`);
  } finally {
    await page.emulateMedia({ reducedMotion: null });
  }
}

/** The texts among `selector` (shown ones; one must be) that do not sit on one line in full (wrapped, broken inside a word, or cut with an ellipsis). */
export async function brokenLabels(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const shown = [...document.querySelectorAll<HTMLElement>(sel)].filter((el) => el.getClientRects().length > 0);
    if (!shown.length) return [`nothing shown matches ${sel}`];
    return shown
      .filter((el) => {
        const line = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.5;
        return el.getBoundingClientRect().height > line * 1.5 || el.scrollWidth > el.clientWidth + 0.5;
      })
      .map((el) => el.textContent ?? '');
  }, selector);
}

/**
 * A page of a new browser context signed in with a refresh token, as a restored session (the web app keeps it
 * in localStorage; seeded once, so a sign-out in the test sticks); its uncaught errors go to `onError`.
 */
export async function signedInContext(
  browser: Browser,
  refreshToken: string,
  options: { viewport: { width: number; height: number }; locale: string },
  onError: (message: string) => void,
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext(options);
  await ctx.addInitScript((token) => {
    if (!sessionStorage.getItem('e2e-seeded')) {
      localStorage.setItem('streakpets.refreshToken', token);
      sessionStorage.setItem('e2e-seeded', '1');
    }
  }, refreshToken);
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => onError(err.message));
  return { ctx, page };
}
