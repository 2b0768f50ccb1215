const BASE = 'http://streakpets.invalid';

/**
 * Where to go after signing in: the `next` parameter when it is a path of this app ("/wallet?tab=names"),
 * otherwise "/". Anything that could leave the origin ("//evil.example", "/\\evil.example", "https://…",
 * control characters the URL parser drops) is refused, so navigating to the answer can never throw.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return '/';
  }
  return url.origin === BASE ? `${url.pathname}${url.search}${url.hash}` : '/';
}
