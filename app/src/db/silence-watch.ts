/**
 * Gives up on a connection whose statement has had no answer for `readMs`: the server or the
 * network went away without a word (a failover whose old host sends no reset), and TCP itself
 * would wait about 15 minutes before it gave up. Destroying the socket fails the statement with
 * "Connection terminated unexpectedly" (a retryable 503), and the pool replaces the connection.
 *
 * One timer per pool, looking every quarter of `readMs`, instead of pg's own `query_timeout`:
 * that one arms and clears a timer for every statement, which cost 8 to 20 % of the node floor's
 * throughput for a page (bench/README.md), where this costs nothing per statement.
 */
import type pg from 'pg';

/** What pg keeps of a client that this needs (not in its typings). */
interface ClientInternals {
  _getActiveQuery(): object | null | undefined;
  readonly connection: { readonly stream: { destroy(): void } };
}

export function watchForSilence(pool: pg.Pool, readMs: number, onGiveUp: (waitedMs: number) => void): () => void {
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (client) => clients.add(client));
  pool.on('remove', (client) => clients.delete(client as pg.PoolClient));
  /** The statement each client was running when last looked at, and since when. */
  const running = new WeakMap<pg.PoolClient, { statement: object; since: number }>();
  const look = () => {
    const now = Date.now();
    for (const client of clients) {
      const statement = (client as unknown as ClientInternals)._getActiveQuery();
      if (!statement) {
        running.delete(client);
        continue;
      }
      const seen = running.get(client);
      if (seen?.statement !== statement) running.set(client, { statement, since: now });
      else if (now - seen.since >= readMs) {
        running.delete(client);
        onGiveUp(now - seen.since);
        (client as unknown as ClientInternals).connection.stream.destroy();
      }
    }
  };
  const timer = setInterval(look, Math.max(25, Math.floor(readMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}
