/**
 * The database going away under a connection the api holds (an RDS failover, a restart, a
 * network cut) fails the request in flight with a retryable 503 and nothing else: the process
 * carries on and serves again once the database is back. pg emits 'error' on a client whose
 * server vanished, and a connection taken out of the pool has no listener of the pool's, so
 * without one of ours that event ended the whole process.
 */
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, waitForHttp } from '../../test/support/app.ts';
import { migrateWithAppRole } from '../../test/support/app-role.ts';
import { freePort, startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { withConnection, withTransaction } from '../src/db/connection-guard.ts';
import { createPool } from '../src/db/pool.ts';
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
