/**
 * DB_SSL=verify-full against a real PostgreSQL serving a certificate from a CA made for the
 * test: with that CA in DB_SSL_CA_FILE the connection is encrypted and verified; another CA, or
 * a host name the certificate does not list, fails at once (no retries) with a message naming
 * the setting to change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrateConfig } from '../src/config/migrate.ts';
import { connectionConfig } from '../src/db/pool.ts';
import { connectWithRetry, DatabaseConnectError } from '../src/migrate/command.ts';
import { migrate, runCommand } from '../../test/support/app.ts';
import { startTestApi } from '../../test/support/api.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { createTestCa, type TestCa } from './support/certificates.ts';

const silent = pino({ level: 'silent' });
let ca: TestCa;
let otherCa: TestCa;
let server: TestPostgres;
let dir: string;
let caFile: string;
let otherCaFile: string;
let databaseUrl: string;

beforeAll(async () => {
  ca = createTestCa('Slipway test CA');
  otherCa = createTestCa('Some other CA');
  server = await startPostgres({ tls: ca.issue({ ip: ['127.0.0.1'] }) });
  dir = mkdtempSync(join(tmpdir(), 'slipway-tls-'));
  caFile = join(dir, 'ca.pem');
  otherCaFile = join(dir, 'other-ca.pem');
  writeFileSync(caFile, ca.certificate);
  writeFileSync(otherCaFile, otherCa.certificate);
  databaseUrl = await server.createDatabase('tls');
});

afterAll(async () => {
  await server?.destroy();
  ca?.destroy();
  otherCa?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Connects as `migrate` would, counting the retries it makes. */
async function connect(env: Record<string, string>): Promise<{ client?: pg.Client; error?: Error; retries: number }> {
  const config = loadMigrateConfig(env);
  let retries = 0;
  try {
    const client = await connectWithRetry(connectionConfig(config.database, silent), 5, silent, async () => void retries++, config.database);
    return { client, retries };
  } catch (error) {
    return { error: error as Error, retries };
  }
}

async function encrypted(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
  return rows[0]!.ssl;
}

const target = () => new URL(databaseUrl);

describe('DB_SSL=verify-full', () => {
  it('connects, encrypted, when DB_SSL_CA_FILE holds the CA that signed the server certificate', async () => {
    const { client, error } = await connect({ DATABASE_URL: databaseUrl, DB_SSL: 'verify-full', DB_SSL_CA_FILE: caFile });
    expect(error).toBeUndefined();
    try {
      expect(await encrypted(client!)).toBe(true);
    } finally {
      await client!.end();
    }
  });

  it('the API is ready over it, database parts as ECS injects them', async () => {
    await migrate(databaseUrl);
    const url = target();
    const api = await startTestApi({ DB_HOST: '127.0.0.1', DB_PORT: url.port, DB_USER: 'slipway', DB_NAME: url.pathname.slice(1), DB_SSL: 'verify-full', DB_SSL_CA_FILE: caFile });
    try {
      const ready = await fetch(`${api.url}/api/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { db: { ok: true } } });
    } finally {
      await api.stop();
    }
  });

  it('fails at once, naming DB_SSL_CA_FILE, when another CA is given', async () => {
    const { error, retries } = await connect({ DATABASE_URL: databaseUrl, DB_SSL: 'verify-full', DB_SSL_CA_FILE: otherCaFile });
    expect(error).toBeInstanceOf(DatabaseConnectError);
    expect(error!.message).toBe(
      `the database at 127.0.0.1:${target().port}${target().pathname} (DATABASE_URL) presented a TLS certificate that no CA in DB_SSL_CA_FILE=${otherCaFile} signed (unable to verify the first certificate); set DB_SSL_CA_FILE to the CA bundle that issued the server's certificate (for RDS, the global bundle)`,
    );
    expect(retries).toBe(0);
  });

  it('fails at once, pointing at DB_SSL_CA_FILE, when no CA file is given and the system store does not know the CA', async () => {
    const { error, retries } = await connect({ DATABASE_URL: databaseUrl, DB_SSL: 'verify-full' });
    expect(error!.message).toContain('presented a TLS certificate that no CA this system trusts signed (unable to verify the first certificate); set DB_SSL_CA_FILE to the CA bundle that issued it');
    expect(retries).toBe(0);
  });

  it('fails at once, naming the host setting, when the certificate does not list the host name', async () => {
    const url = target();
    url.hostname = 'localhost';
    const viaUrl = await connect({ DATABASE_URL: url.toString(), DB_SSL: 'verify-full', DB_SSL_CA_FILE: caFile });
    expect(viaUrl.error!.message).toMatch(
      /^the database's TLS certificate is not valid for localhost, the name DB_SSL=verify-full checks \(Hostname\/IP does not match certificate's altnames: .+\); set the host in DATABASE_URL to a name the certificate lists \(for RDS, the instance endpoint, not an IP address or an alias\)$/,
    );
    expect(viaUrl.retries).toBe(0);
    const viaParts = await connect({ DB_HOST: 'localhost', DB_PORT: url.port, DB_USER: 'slipway', DB_NAME: url.pathname.slice(1), DB_SSL: 'verify-full', DB_SSL_CA_FILE: caFile });
    expect(viaParts.error!.message).toContain('is not valid for localhost, the name DB_SSL=verify-full checks');
    expect(viaParts.error!.message).toContain('set DB_HOST to a name the certificate lists');
  });

  it('`migrate up` stops at once with that message instead of retrying for a minute', async () => {
    const run = runCommand(['migrate', 'up'], { DATABASE_URL: databaseUrl, DB_SSL: 'verify-full', DB_SSL_CA_FILE: otherCaFile, LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`no CA in DB_SSL_CA_FILE=${otherCaFile} signed`);
    expect(run.output()).not.toContain('not reachable yet');
  });
});

describe('DB_SSL=require', () => {
  it('encrypts without checking the certificate', async () => {
    const { client, error } = await connect({ DATABASE_URL: databaseUrl, DB_SSL: 'require' });
    expect(error).toBeUndefined();
    try {
      expect(await encrypted(client!)).toBe(true);
    } finally {
      await client!.end();
    }
  });
});
