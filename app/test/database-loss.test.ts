/**
 * The database going away under a connection the api holds (an RDS failover, a restart, a
 * network cut) fails the request in flight with a retryable 503 and nothing else: the process
 * carries on and serves again once the database is back. pg emits 'error' on a client whose
 * server vanished, and a connection taken out of the pool has no listener of the pool's, so
 * without one of ours that event ended the whole process.
 *
 * Nothing waits on the database for ever either (db/pool.ts, DatabaseTimeouts): a statement
 * running too long is cancelled by the server, a transaction left idle is ended by it, and a
 * server that stops answering without a word (no reset: the host is gone) is given up on by
 * the client, its connection destroyed.
 */
import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, waitForHttp } from '../../test/support/app.ts';
import { startTestApi } from '../../test/support/api.ts';
import { migrateWithAppRole } from '../../test/support/app-role.ts';
import { freePort, startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { withConnection, withTransaction } from '../src/db/connection-guard.ts';
import { createPool, type DatabaseTimeouts } from '../src/db/pool.ts';
import { loadApiConfig } from '../src/config/api.ts';
import { client, createUser, createWorkspace } from './v1/workspaces-harness.ts';

let server: TestPostgres;
let ownerUrl: string;
let apiUrl: string;

beforeAll(async () => {
  server = await startPostgres();
  ownerUrl = await server.createDatabase('loss');
  apiUrl = await migrateWithAppRole(ownerUrl);
});
afterAll(async () => server?.destroy());

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('losing the database under a held connection', () => {
  it('fails the work in flight, keeps the process, and the pool serves again once the server is back', async () => {
    const uncaught: Error[] = [];
    const record = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', record);
    const config = loadApiConfig({ SLIPWAY_ENV: 'test', DATABASE_URL: apiUrl, DATABASE_MAX_CONNS: '2' });
    const pool = createPool(config.database, pino({ level: 'silent' }));
    try {
      let idleInside!: () => void;
      const busy = withTransaction(pool, (c) => c.query('SELECT pg_sleep(30)'));
      // Held between queries: the server vanishes while the work awaits something else.
      const idle = withConnection(pool, async (c) => {
        await c.query('SELECT 1');
        await new Promise<void>((resolve) => (idleInside = resolve));
        return c.query('SELECT 2');
      });
      await waitFor('both connections held', async () => pool.totalCount === 2 && pool.idleCount === 0 && idleInside !== undefined);
      await server.crash();
      await expect(busy).rejects.toThrow(/Connection terminated unexpectedly/);
      // The event loop turns so that an 'error' nobody listens for would surface here.
      await new Promise((r) => setTimeout(r, 200));
      idleInside();
      await expect(idle).rejects.toThrow(/not queryable|Connection terminated/);
      expect(uncaught.map((e) => e.message)).toEqual([]);
      // Neither dead connection went back to the pool.
      expect(pool.totalCount).toBe(0);
      await server.start();
      await waitFor('a query after the restart', async () => (await pool.query('SELECT 3 AS n')).rows[0].n === 3);
      expect(await withTransaction(pool, async (c) => (await c.query('SELECT 4 AS n')).rows[0].n)).toBe(4);
    } finally {
      process.off('uncaughtException', record);
      await pool.end();
      await server.start().catch(() => undefined);
    }
  });

  it('a create waiting inside its transaction answers 503 when the server crashes; the api process carries on and creates again after', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const api = runCommand(['api'], { DATABASE_URL: apiUrl, HOST: '127.0.0.1', API_PORT: String(port), APP_URL: 'http://app.slipway.test', LOG_LEVEL: 'warn' });
    const owner = new pg.Client({ connectionString: ownerUrl });
    owner.on('error', () => undefined);
    try {
      await waitForHttp(`${url}/api/readyz`, 30_000, api);
      const user = await createUser(url, 'owner@example.com');
      const call = client(url, user);
      await createWorkspace(call, 'eng');
      // The owner holds the workspace row, so the api's create waits inside its transaction.
      await owner.connect();
      await owner.query('BEGIN');
      await owner.query(`SELECT 1 FROM workspaces WHERE slug = 'eng' FOR UPDATE`);
      const create = call('POST', '/api/v1/workspaces/eng/issues', { title: 'Written during a failover' });
      await waitFor('the create to wait on the workspace row', async () => {
        const waiting = await owner.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%workspaces%'`);
        return waiting.rows[0].n === 1;
      });
      await server.crash();
      const failed = await create.catch((error: Error) => error);
      await new Promise((r) => setTimeout(r, 200));
      if (api.child.exitCode !== null) throw new Error(`the api exited with ${api.child.exitCode} when the database went away:\n${api.output()}`);
      if (failed instanceof Error) throw failed;
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe('database_unavailable');
      expect(failed.headers.get('retry-after')).toBe('5');
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      await server.start();
      await waitForHttp(`${url}/api/readyz`, 15_000, api);
      const created = await call('POST', '/api/v1/workspaces/eng/issues', { title: 'Written after it' });
      expect(created.status).toBe(201);
      // The crash rolled the first create back: the number it would have taken is the next one's.
      expect(created.body.issue.number).toBe(1);
      expect(await api.stop()).toBe(0);
    } finally {
      await owner.end().catch(() => undefined);
      await api.stop();
      await server.start().catch(() => undefined);
    }
  });
});

/**
 * A TCP relay to the database that can go silent: from `silence()` on, every byte on the
 * connections it relays is dropped both ways and new connections get no answer, as when the
 * database's host vanishes. `restore()` relays new connections again (the standby took over);
 * the silenced ones stay dead.
 */
async function silenceableRelay(targetPort: number): Promise<{ port: number; silence(): void; restore(): void; sentIntoSilence(): string; close(): Promise<void> }> {
  let generation = 0;
  let silent = false;
  let dropped = '';
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    sockets.add(downstream);
    downstream.on('error', () => undefined);
    if (silent) return;
    const born = generation;
    const alive = () => !silent && born === generation;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => undefined);
    downstream.on('data', (chunk: Buffer) => {
      if (alive()) upstream.write(chunk);
      else dropped += chunk.toString('latin1');
    });
    upstream.on('data', (chunk) => alive() && downstream.write(chunk));
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    silence: () => {
      silent = true;
    },
    restore: () => {
      generation++;
      silent = false;
    },
    /** What the clients sent on the silenced connections (PostgreSQL's wire format, as text). */
    sentIntoSilence: () => dropped,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A transaction that runs `first`, then waits for `resume()` before it runs `then`. */
async function pausedTransaction(pool: pg.Pool, first: string, then: string): Promise<{ done: Promise<unknown>; resume(): void }> {
  let resume: (() => void) | undefined;
  const done = withTransaction(pool, async (c) => {
    await c.query(first);
    await new Promise<void>((resolve) => (resume = resolve));
    return c.query(then);
  });
  await waitFor(`"${first}" to have run`, async () => resume !== undefined);
  return { done, resume: () => resume!() };
}

describe('time limits on the database', () => {
  const poolWith = (url: string, timeouts: Partial<DatabaseTimeouts>, max = 1) =>
    createPool(loadApiConfig({ SLIPWAY_ENV: 'test', DATABASE_URL: url, DATABASE_MAX_CONNS: String(max) }).database, pino({ level: 'silent' }), { timeouts });

  it('the server cancels a statement past the statement timeout, and the connection stays in use', async () => {
    const pool = poolWith(apiUrl, { statementMs: 200 });
    try {
      const backend = async (c: pg.PoolClient) => (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const before = await withConnection(pool, async (c) => {
        const pid = await backend(c);
        await expect(c.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
        expect(await backend(c)).toBe(pid);
        return pid;
      });
      // Released as healthy: the next work gets the same server session back.
      expect(await withConnection(pool, backend)).toBe(before);
    } finally {
      await pool.end();
    }
  });

  it('the server ends a transaction left idle, which frees the rows it locked', async () => {
    const pool = poolWith(apiUrl, { idleInTransactionMs: 300 });
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    try {
      await owner.query('CREATE TABLE IF NOT EXISTS idle_probe (id int PRIMARY KEY); INSERT INTO idle_probe VALUES (1) ON CONFLICT DO NOTHING');
      await owner.query(`GRANT SELECT, UPDATE ON idle_probe TO "${new URL(apiUrl).username}"`);
      const stalled = await pausedTransaction(pool, 'SELECT id FROM idle_probe WHERE id = 1 FOR UPDATE', 'SELECT 1');
      // The owner gets the row once the server has ended the idle transaction.
      await owner.query(`SET lock_timeout = '10s'`);
      await owner.query('UPDATE idle_probe SET id = 1 WHERE id = 1');
      stalled.resume();
      await expect(stalled.done).rejects.toThrow(/idle-in-transaction timeout|Connection terminated|not queryable/);
      expect((await pool.query('SELECT 2 AS n')).rows[0].n).toBe(2);
    } finally {
      await owner.end();
      await pool.end();
    }
  });

  it('a server that goes silent (no reset) fails the work after the read timeout, and a new connection is made once it answers again', async () => {
    const relay = await silenceableRelay(server.port);
    const url = new URL(apiUrl);
    url.port = String(relay.port);
    const pool = poolWith(url.toString(), { readMs: 400 }, 2);
    try {
      expect((await pool.query('SELECT 1 AS n')).rows[0].n).toBe(1);
      const work = await pausedTransaction(pool, 'SELECT 1', 'SELECT 2');
      relay.silence();
      work.resume();
      await expect(work.done).rejects.toThrow('Connection terminated unexpectedly');
      // The statement went into the silence, and no ROLLBACK after it to wait in turn: the
      // connection was destroyed, which rolls the transaction back on the server.
      expect(relay.sentIntoSilence()).toContain('SELECT 2');
      expect(relay.sentIntoSilence()).not.toContain('ROLLBACK');
      // The connection in an unknown state was destroyed, not put back for the next request.
      expect(pool.totalCount).toBe(0);
      relay.restore();
      expect((await pool.query('SELECT 3 AS n')).rows[0].n).toBe(3);
      expect(await withTransaction(pool, async (c) => (await c.query('SELECT 4 AS n')).rows[0].n)).toBe(4);
    } finally {
      await pool.end();
      await relay.close();
    }
  });

  it('statements that each answer within the read limit are left alone, however long they take together', async () => {
    const pool = poolWith(apiUrl, { readMs: 600 });
    try {
      const pids = await withConnection(pool, async (c) => {
        const seen: number[] = [];
        for (let i = 0; i < 3; i++) seen.push((await c.query('SELECT pg_backend_pid() AS pid, pg_sleep(0.4)')).rows[0].pid);
        return seen;
      });
      expect(new Set(pids).size).toBe(1);
      expect(pool.totalCount).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('the api answers 503 database_timeout for a statement past the limit (a create waiting on a locked workspace row)', async () => {
    const api = await startTestApi({ DATABASE_URL: apiUrl, APP_URL: 'http://app.slipway.test' }, { databaseTimeouts: { statementMs: 300 } });
    const owner = new pg.Client({ connectionString: ownerUrl });
    try {
      const user = await createUser(api.url, 'timeouts@example.com');
      const call = client(api.url, user);
      await createWorkspace(call, 'slow', 'SLO');
      await owner.connect();
      await owner.query('BEGIN');
      await owner.query(`SELECT 1 FROM workspaces WHERE slug = 'slow' FOR UPDATE`);
      const waited = await call('POST', '/api/v1/workspaces/slow/issues', { title: 'Waits for the row' });
      expect(waited.status).toBe(503);
      expect(waited.body.error).toEqual({ code: 'database_timeout', message: 'The database took too long to answer this request; try again in a few seconds' });
      expect(waited.headers.get('retry-after')).toBe('5');
      await owner.query('ROLLBACK');
      expect((await call('POST', '/api/v1/workspaces/slow/issues', { title: 'Goes through' })).status).toBe(201);
    } finally {
      await owner.end().catch(() => undefined);
      await api.stop();
    }
  });
});
