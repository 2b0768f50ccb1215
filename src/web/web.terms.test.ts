import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every text of a catalog, with its key. */
function texts(locale: string): Array<[string, string]> {
  const tree = JSON.parse(readFileSync(fileURLToPath(new URL(`../../locales/${locale}.json`, import.meta.url)), 'utf8')) as Record<string, unknown>;
  const out: Array<[string, string]> = [];
  const walk = (node: unknown, key: string) => {
    if (typeof node === 'string') out.push([key, node]);
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, key ? `${key}.${k}` : k);
  };
  walk(tree, '');
  return out;
}

// One word for one thing: the Wallet tab, its cards and the errors the web shows about it name it alike.
describe('the words a locale uses for the wallet', () => {
  it('Spanish says "cartera" everywhere (the Wallet tab), never "billetera" (its errors and the account deletion said so)', () => {
    expect(texts('es').filter(([, v]) => /billetera/i.test(v)).map(([k]) => k)).toEqual([]);
    expect(texts('es').find(([k]) => k === 'web.nav.wallet')?.[1]).toBe('Cartera');
  });

  it('Japanese says "ウォレット" everywhere, never "財布"', () => {
    expect(texts('ja').filter(([, v]) => /財布/.test(v)).map(([k]) => k)).toEqual([]);
  });
});
