/** A wait as the locale writes it ("2 min", "30 Sek.", "30 秒"): whole minutes from a minute on, else seconds. */
export function formatWait(seconds: number, locale: string): string {
  const minutes = seconds >= 60;
  return new Intl.NumberFormat(locale, { style: 'unit', unit: minutes ? 'minute' : 'second', unitDisplay: 'short' }).format(
    minutes ? Math.ceil(seconds / 60) : Math.max(1, Math.ceil(seconds)),
  );
}
