/**
 * ISO 3166-1 alpha-2 country codes, from the runtime's CLDR data (Intl) rather than a hand-kept list.
 * CLDR names more regions than ISO assigns, so some are left out explicitly.
 */

/** CLDR regions that are no ISO 3166-1 country: exceptionally reserved codes (AC, CP, CQ, DG, EA, IC, TA, EU, EZ, UN). */
const NOT_COUNTRIES = new Set(['AC', 'CP', 'CQ', 'DG', 'EA', 'IC', 'TA', 'EU', 'EZ', 'UN']);

/**
 * ISO's user-assigned codes (AA, QM–QZ, XA–XZ, ZZ) name no country. XK is the one taken: Kosovo, by the
 * code the EU, banks and CLDR use for it, so its residents can state where they live.
 */
function userAssigned(code: string): boolean {
  return code === 'AA' || code === 'ZZ' || /^Q[M-Z]$/.test(code) || (/^X[A-Z]$/.test(code) && code !== 'XK');
}

function buildCountryCodes(): ReadonlySet<string> {
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  const codes = new Set<string>();
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (userAssigned(code) || NOT_COUNTRIES.has(code)) continue;
      // deprecated codes (UK, SU, YU, BU…) are canonicalized to their successor: only the current code is a country
      if (Intl.getCanonicalLocales(`und-${code}`)[0] !== `und-${code}`) continue;
      // an unknown region's name is the code itself
      if (names.of(code) !== code) codes.add(code);
    }
  }
  return codes;
}

/** The 249 officially assigned ISO 3166-1 alpha-2 codes, and XK. */
export const COUNTRY_CODES = buildCountryCodes();

/** Whether an upper-case two-letter code is a country's ISO 3166-1 alpha-2 code. */
export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}
