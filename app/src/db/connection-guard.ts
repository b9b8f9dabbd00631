/**
 * No code may ask the pool for a connection while it holds one: with a small pool (the
 * embedded database has one connection; production under load is no different) the second
 * request waits for the first, which never comes back, and the request hangs until the pool
 * times out. `withConnection` is the one place that takes a connection; while its work runs,
 * the guarded pool refuses `query` and `connect` at once with a message that names the fix,
 * so such a mistake fails its test on the first run instead of deadlocking in production.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

interface Held {
  released: boolean;
}

const held = new AsyncLocalStorage<Held>();

export class SecondConnectionError extends Error {
  constructor() {
    super('asked the pool for a second connection while holding one (this deadlocks a small pool): run the query on the client you hold');
    this.name = 'SecondConnectionError';
  }
}

/** Throws when called inside `withConnection`'s work (used by the guarded pool). */
export function assertNoConnectionHeld(): void {
  const current = held.getStore();
  if (current && !current.released) throw new SecondConnectionError();
}

/** Runs `work` with one pooled connection, released afterwards (destroyed when `work` says it is broken). */
export async function withConnection<T>(pool: pg.Pool, work: (client: pg.PoolClient, markBroken: () => void) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const marker: Held = { released: false };
  let broken = false;
  // pg-pool listens for errors only on the connections it holds idle. When the server goes away
  // under a connection held here (a failover, a restart, a network cut), pg emits 'error' on the
  // client, and with no listener that ends the process and every request in it. The query in
  // flight rejects by itself, so the work fails as it should; the listener only has the
  // connection destroyed on release.
  const lost = () => {
    broken = true;
  };
  client.on('error', lost);
  try {
    return await held.run(marker, () => work(client, () => (broken = true)));
  } finally {
    // Work that outlives the connection (a timer started inside) may use the pool again.
    marker.released = true;
    client.removeListener('error', lost);
    client.release(broken);
  }
}

/** Runs `work` in a transaction: COMMIT when it returns, ROLLBACK when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withConnection(pool, async (client, markBroken) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(markBroken);
      throw error;
    }
  });
}
