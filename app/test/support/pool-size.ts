/**
 * The API test suite runs twice: with the default pool and with a pool of one connection
 * (vitest project "api, DATABASE_MAX_CONNS=1"), where any request that waits for a second
 * connection while holding one hangs and fails. Every helper that starts the API passes this on.
 */
export function poolSizeSetting(): Record<string, string> {
  const size = process.env.DATABASE_MAX_CONNS;
  return size ? { DATABASE_MAX_CONNS: size } : {};
}
