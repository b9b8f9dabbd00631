/**
 * A pool of one connection (the embedded database's, or any pool under load): no request may
 * wait for a second connection while it holds the first. Verifying a used, expired or unknown
 * sign-in link once held its connection while asking the pool for another, hung for the pool's
 * connection timeout and then answered "The database is unavailable"; it must answer at once
 * with the real reason. The guard that makes this impossible is tested here too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateWithAppRole } from '../../../test/support/app-role.ts';
import { startTestApi } from '../../../test/support/api.ts';
import { startPostgres, type TestPostgres } from '../../../test/support/servers.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { SecondConnectionError, withConnection, withTransaction } from '../../src/db/connection-guard.ts';
import { createPool } from '../../src/db/pool.ts';
import { requestLink, tokenFromLink } from '../support/auth.ts';

const APP_URL = 'http://app.slipway.test';
let server: TestPostgres;
let databaseUrl: string;
/** The api's own login, as in production. */
let apiDatabaseUrl: string;
let db: pg.Pool;
let api: Awaited<ReturnType<typeof startTestApi>>;

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('single');
  apiDatabaseUrl = await migrateWithAppRole(databaseUrl);
  db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  db.on('error', () => undefined);
  api = await startTestApi({ DATABASE_URL: apiDatabaseUrl, APP_URL, DATABASE_MAX_CONNS: '1' });
});
afterAll(async () => {
  await api?.stop();
  await db?.end();
  await server?.destroy();
});

async function verify(token: string): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${api.url}/api/v1/auth/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  return { status: res.status, body: await res.json(), ms: performance.now() - started };
}

describe('sign-in links with a pool of one connection', () => {
  it('says a used link has been used, at once', async () => {
    const token = tokenFromLink(await requestLink(api.url, 'once@example.com'));
    expect((await verify(token)).status).toBe(200);
    const again = await verify(token);
    expect(again.body.error).toEqual({ code: 'invalid_link', message: 'This sign-in link has already been used; request a new one' });
    expect(again.status).toBe(400);
  });

  it('says an expired link has expired', async () => {
    const token = tokenFromLink(await requestLink(api.url, 'late@example.com'));
    await db.query(`UPDATE magic_links SET expires_at = now() - interval '1 minute' WHERE email = 'late@example.com'`);
    const res = await verify(token);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('This sign-in link has expired; request a new one');
  });

  it('says an unknown link is not valid', async () => {
    const res = await verify('A'.repeat(43));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('This sign-in link is not valid; request a new one');
  });
});

describe('the connection guard', () => {
  const log = pino({ level: 'silent' });

  it('refuses pool.query and pool.connect while the same work holds a connection', async () => {
    const pool = createPool(loadApiConfig({ SLIPWAY_ENV: 'test', DATABASE_URL: databaseUrl, DATABASE_MAX_CONNS: '2' }).database, log);
    try {
      await withConnection(pool, async (client) => {
        await expect(pool.query('SELECT 1')).rejects.toThrow(SecondConnectionError);
        await expect(pool.connect()).rejects.toThrow('asked the pool for a second connection while holding one');
        expect((await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n).toBe(1);
      });
      // Outside the work the pool serves as usual.
      expect((await pool.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n).toBe(2);
    } finally {
      await pool.end();
    }
  });

  it('commits what the work did, and rolls back when it throws', async () => {
    const pool = createPool(loadApiConfig({ SLIPWAY_ENV: 'test', DATABASE_URL: databaseUrl }).database, log);
    try {
      await pool.query('CREATE TABLE IF NOT EXISTS guard_probe (n int)');
      await withTransaction(pool, (client) => client.query('INSERT INTO guard_probe VALUES (1)'));
      await expect(
        withTransaction(pool, async (client) => {
          await client.query('INSERT INTO guard_probe VALUES (2)');
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect((await pool.query('SELECT n FROM guard_probe ORDER BY n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await pool.end();
    }
  });
});

describe('taking connections', () => {
  it('happens only in connection-guard.ts: the app never calls pool.connect() itself', () => {
    const src = fileURLToPath(new URL('../../src', import.meta.url));
    const offenders = (readdirSync(src, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts') && !file.endsWith('connection-guard.ts'))
      .filter((file) => /\bpool\.connect\(/.test(readFileSync(join(src, file), 'utf8')));
    expect(offenders, 'use withConnection or withTransaction from app/src/db/connection-guard.ts').toEqual([]);
  });
});
