/**
 * Where to go after signing in (`?next=`): a path inside the app, or `/`. Shared by the API's
 * OAuth callback redirect and the UI, and free of node modules so the UI can bundle it.
 */
const PROBE_ORIGIN = 'http://app.invalid';

/** A path inside the app to return to; anything else (another site, the API, a sign-in link) becomes `/`. */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 500 || !next.startsWith('/')) return '/';
  // Browsers drop tabs and newlines from a URL and read `\` as `/`, so "/\t/evil.example" is
  // "//evil.example", another site (WHATWG URL standard); such characters are refused outright.
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== PROBE_ORIGIN) return '/';
  // Checked on the path a browser would resolve, so `/w/../api/v1/tokens` is the API too.
  const path = url.pathname;
  if (path === '/api' || path.startsWith('/api/') || path.startsWith('/auth/') || path === '/signin') return '/';
  return path + url.search + url.hash;
}
