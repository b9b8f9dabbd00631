/**
 * DB_SECRET_ARN: the database password read from Secrets Manager while running. Secrets Manager
 * is mocked; PostgreSQL is real, with password authentication for one role so a rotation
 * (ALTER ROLE … PASSWORD) really invalidates the old value.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { loadApiConfig } from '../src/config/api.ts';
import { loadMigrateConfig } from '../src/config/migrate.ts';
import { connectionConfig, createPool } from '../src/db/pool.ts';
import { PASSWORD_CACHE_MS, secretPassword, secretRegion } from '../src/db/secret-password.ts';
import { connectWithRetry } from '../src/migrate/command.ts';
import { problemsOf } from './support/config.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db/master-AbCdEf';
const sm = mockClient(SecretsManagerClient);
const secretWith = (password: string) => ({ SecretString: JSON.stringify({ username: 'slipway', password, host: 'db.internal', port: 5432, dbname: 'slipway' }) });
const reads = () => sm.commandCalls(GetSecretValueCommand).length;

/** A logger whose JSON lines are kept, to check what was (and was not) logged. */
function capturedLogger() {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  return { log, lines, text: () => lines.join('') };
}

beforeEach(() => sm.reset());

describe('DB_SECRET_ARN setting', () => {
  const PARTS = { DB_HOST: 'db.internal', DB_USER: 'slipway', DB_NAME: 'slipway', DB_PASSWORD: 'injected-at-start' };

  it('is optional; with it the api and migrate keep the parts and learn the secret', () => {
    expect(loadApiConfig(PARTS).database.secretArn).toBeUndefined();
    expect(loadApiConfig({ ...PARTS, DB_SECRET_ARN: ARN }).database).toMatchObject({ secretArn: ARN, pool: { host: 'db.internal', password: 'injected-at-start' } });
    expect(loadMigrateConfig({ ...PARTS, DB_SECRET_ARN: ARN }).database.secretArn).toBe(ARN);
    expect(loadApiConfig({ ...PARTS, DB_SECRET_ARN: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:db-x1Y2z3' }).database.secretArn).toMatch(/aws-us-gov/);
  });

  it.each([
    'slipway/db/master',
    'arn:aws:secretsmanager:eu-west-1:1234:secret:db',
    'arn:aws:ssm:eu-west-1:123456789012:parameter/db',
    'arn:aws:secretsmanager:eu-west-1:123456789012:db',
  ])('refuses %s, naming the variable and an example', (value) => {
    expect(problemsOf(() => loadApiConfig({ ...PARTS, DB_SECRET_ARN: value }))).toEqual([
      `DB_SECRET_ARN=${JSON.stringify(value)}: expected a Secrets Manager secret ARN, e.g. arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db/master-AbCdEf`,
    ]);
  });

  it('still requires DB_HOST, DB_USER and DB_NAME, and refuses DATABASE_URL beside it', () => {
    expect(problemsOf(() => loadMigrateConfig({ DB_HOST: 'db.internal', DB_SECRET_ARN: ARN }))).toEqual([
      'DB_USER: required with DB_HOST (or set DATABASE_URL instead)',
      'DB_NAME: required with DB_HOST (or set DATABASE_URL instead)',
    ]);
    expect(problemsOf(() => loadApiConfig({ DATABASE_URL: 'postgres://a:b@db.internal/slipway', DB_SECRET_ARN: ARN }))).toEqual([
      expect.stringMatching(/^DB_SECRET_ARN="arn:aws:secretsmanager:[^"]+": works with DB_HOST, DB_USER and DB_NAME, not with DATABASE_URL \(a URL carries its own password\): unset one of them$/),
    ]);
  });

  it('without it, the pool settings are exactly the injected ones', () => {
    const { log } = capturedLogger();
    const database = loadApiConfig(PARTS).database;
    expect(connectionConfig(database, log)).toBe(database.pool);
  });
});

describe('secretPassword', () => {
  let clock = 0;
  const now = () => clock;
  const client = () => new SecretsManagerClient({ region: secretRegion(ARN) });

  it('reads the password field of the secret and keeps it for 5 minutes', async () => {
    clock = 1_000_000;
    sm.on(GetSecretValueCommand).resolves(secretWith('first'));
    const password = secretPassword({ secretArn: ARN, client: client(), log: capturedLogger().log, fallback: 'injected', now });
    expect(await password()).toBe('first');
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: ARN });

    sm.on(GetSecretValueCommand).resolves(secretWith('second'));
    clock += PASSWORD_CACHE_MS - 1;
    expect(await password()).toBe('first');
    expect(reads()).toBe(1);

    clock += 1;
    expect(await password()).toBe('second');
    expect(reads()).toBe(2);
  });

  it('reads the secret again at once after the database rejected the password', async () => {
    clock = 0;
    sm.on(GetSecretValueCommand).resolves(secretWith('first'));
    const { log, text } = capturedLogger();
    const password = secretPassword({ secretArn: ARN, client: client(), log, now });
    expect(await password()).toBe('first');
    sm.on(GetSecretValueCommand).resolves(secretWith('rotated'));
    password.refresh();
    password.refresh(); // a second connection reporting the same rejection reads only once
    expect(await password()).toBe('rotated');
    expect(await password()).toBe('rotated');
    expect(reads()).toBe(2);
    expect(text()).toContain('the database rejected the password');
    expect(text()).toContain('the database password changed in Secrets Manager');
    expect(text()).not.toMatch(/first|rotated/);
  });

  it('falls back to DB_PASSWORD when Secrets Manager fails, with a warning that holds no password', async () => {
    clock = 0;
    sm.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException: not authorized'));
    const { log, lines } = capturedLogger();
    const password = secretPassword({ secretArn: ARN, client: client(), log, fallback: 'injected-at-start', now });
    expect(await password()).toBe('injected-at-start');
    const warning = JSON.parse(lines.at(-1)!);
    expect(warning).toMatchObject({ level: 40, secretArn: ARN, error: 'AccessDeniedException: not authorized' });
    expect(warning.msg).toContain('using DB_PASSWORD');
    expect(lines.join('')).not.toContain('injected-at-start');

    // Not cached: the next connection tries the secret again.
    sm.on(GetSecretValueCommand).resolves(secretWith('first'));
    expect(await password()).toBe('first');
  });

  it('while the secret cannot be read, keeps the last value read unless the database rejected it', async () => {
    clock = 0;
    sm.on(GetSecretValueCommand).resolves(secretWith('first'));
    const password = secretPassword({ secretArn: ARN, client: client(), log: capturedLogger().log, fallback: 'injected', now });
    expect(await password()).toBe('first');
    sm.on(GetSecretValueCommand).rejects(new Error('ThrottlingException'));
    clock += PASSWORD_CACHE_MS;
    expect(await password()).toBe('first');
    password.refresh();
    expect(await password()).toBe('injected');
  });

  it('fails the connection with a clear error when the secret cannot be read and DB_PASSWORD is unset', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'not-json-and-not-a-password-either' });
    const { log, text } = capturedLogger();
    const password = secretPassword({ secretArn: ARN, client: client(), log, now });
    await expect(password()).rejects.toThrow(`could not read the database password from ${ARN} and DB_PASSWORD is not set: the secret is not JSON`);
    expect(text()).not.toContain('not-json-and-not-a-password-either');
  });

  it('reads once for connections opened together', async () => {
    clock = 0;
    sm.on(GetSecretValueCommand).resolves(secretWith('first'));
    const password = secretPassword({ secretArn: ARN, client: client(), log: capturedLogger().log, now });
    expect(await Promise.all([password(), password(), password()])).toEqual(['first', 'first', 'first']);
    expect(reads()).toBe(1);
  });
});

describe('on a real PostgreSQL with password authentication', () => {
  const ROLE = 'rotating_app';
  let server: TestPostgres;
  let admin: pg.Client;
  const env = () => ({ DB_HOST: '127.0.0.1', DB_PORT: String(server.port), DB_USER: ROLE, DB_NAME: 'postgres', DB_PASSWORD: 'injected-at-start', DB_SECRET_ARN: ARN });
  const rotateTo = async (value: string) => {
    await admin.query(`ALTER ROLE ${ROLE} PASSWORD '${value}'`);
    sm.on(GetSecretValueCommand).resolves(secretWith(value));
  };
  const connectAs = async (password: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: ROLE, database: 'postgres', password });
    try {
      await client.connect();
      await client.end();
      return 'ok';
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'first'`);
    // The test server trusts everyone; make this one role authenticate with its password.
    const hbaFile = (await admin.query<{ hba_file: string }>('SHOW hba_file')).rows[0]!.hba_file;
    const rules = [
      'local all all trust',
      `host all ${ROLE} 127.0.0.1/32 scram-sha-256`,
      'host all all 127.0.0.1/32 trust',
      'host all all ::1/128 trust',
    ];
    await admin.query(`COPY (SELECT unnest($$\{${rules.map((r) => `"${r}"`).join(',')}\}$$::text[])) TO '${hbaFile}'`);
    await admin.query('SELECT pg_reload_conf()');
    for (let i = 0; (await connectAs('wrong')) !== '28P01'; i++) {
      if (i > 50) throw new Error('the server did not start asking for passwords');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await connectAs('first')).toBe('ok');
  });
  afterAll(async () => {
    await admin?.end();
    await server?.destroy();
  });
  afterEach(() => sm.reset());

  it('the api pool authenticates with the secret, and a query after a rotation succeeds on the new password', async () => {
    await rotateTo('first');
    const { log, text } = capturedLogger();
    const pool = createPool(loadApiConfig(env()).database, log, { secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) });
    let held: pg.PoolClient | undefined;
    try {
      // DB_PASSWORD is wrong on purpose: connecting proves the value came from the secret.
      expect((await pool.query('SELECT current_user AS name')).rows[0].name).toBe(ROLE);
      expect(reads()).toBe(1);

      await rotateTo('second');
      held = await pool.connect(); // the connection opened before the rotation still works
      expect((await held.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      // A new connection within the 5 minutes tries the cached value, is rejected, reads the
      // secret again and tries once more: the query succeeds without a restart.
      expect((await pool.query('SELECT current_user AS name')).rows[0].name).toBe(ROLE);
      expect(reads()).toBe(2);
      await rotateTo('third-for-connect');
      const busy = await pool.connect(); // takes the idle connection, so the next one is new
      const fresh = await pool.connect(); // the promise form retries the same way
      expect((await fresh.query('SELECT current_user AS name')).rows[0].name).toBe(ROLE);
      fresh.release();
      busy.release();
      expect(reads()).toBe(3);
      expect(text()).not.toMatch(/first|second|third-for-connect|injected-at-start/);
    } finally {
      held?.release();
      await pool.end();
    }
  });

  it('migrate connects with the same provider: a rejected password is read again before the retry', async () => {
    await rotateTo('third');
    const { log, text } = capturedLogger();
    const settings = connectionConfig(loadMigrateConfig(env()).database, log, { secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) });
    const first = await connectWithRetry(settings, 5, log, async () => undefined);
    await first.end();
    expect(reads()).toBe(1);

    await rotateTo('fourth');
    const retries: number[] = [];
    const second = await connectWithRetry(settings, 5, log, async (ms) => void retries.push(ms));
    try {
      expect((await second.query('SELECT current_user AS name')).rows[0].name).toBe(ROLE);
    } finally {
      await second.end();
    }
    expect(retries).toHaveLength(1);
    expect(reads()).toBe(2);
    expect(text()).not.toMatch(/third|fourth|injected-at-start/);
  });
});
