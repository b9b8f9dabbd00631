/**
 * The api login's password from Secrets Manager (DB_APP_SECRET_ARN), against the AWS API
 * emulator (moto) and a PostgreSQL that checks passwords; and the SCRAM verifier migrate sets,
 * checked against the one PostgreSQL computes itself.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urlAs } from '../../test/support/app-role.ts';
import { migrate, runCommand } from '../../test/support/app.ts';
import { emulatorClientConfig, emulatorEnv, startMoto, type MotoServer } from '../../test/support/moto.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { loadMigrateConfig } from '../src/config/migrate.ts';
import { runMigrate } from '../src/migrate/command.ts';
import { scramVerifier } from '../src/migrate/scram.ts';

const SUPERUSER_PASSWORD = 'superuser-test-password';
let server: TestPostgres;
let moto: MotoServer;
let sm: SecretsManagerClient;
let counter = 0;

beforeAll(async () => {
  [server, moto] = await Promise.all([startPostgres({ superuserPassword: SUPERUSER_PASSWORD }), startMoto()]);
  sm = new SecretsManagerClient(emulatorClientConfig(moto.endpoint));
});
afterAll(async () => {
  sm?.destroy();
  await Promise.all([server?.destroy(), moto?.stop()]);
});

async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

async function signsIn(url: string): Promise<boolean | string> {
  try {
    await sql(url, 'SELECT 1');
    return true;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** A migrated database, a role name of its own and an app secret for it in the emulator. */
async function setup(secret: Record<string, unknown> | string) {
  const n = counter++;
  const role = `app_${n}`;
  const ownerUrl = await server.createDatabase('appsecret');
  await migrate(ownerUrl);
  const created = await sm.send(new CreateSecretCommand({ Name: `slipway/db/app-${n}`, SecretString: typeof secret === 'string' ? secret : JSON.stringify({ username: role, ...secret }) }));
  return { role, ownerUrl, arn: created.ARN! };
}

/** `migrate <sub>` in this process with the secret read from the emulator; its exit code and log messages. */
async function run(sub: string, ownerUrl: string, role: string, arn: string): Promise<{ code: number; messages: string[] }> {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const config = loadMigrateConfig({ DATABASE_URL: ownerUrl, DB_APP_USER: role, DB_APP_SECRET_ARN: arn });
  const code = await runMigrate([sub], config, log, { secretsManager: sm });
  return { code, messages: lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

describe('DB_APP_SECRET_ARN', () => {
  it('gives a new api login the AWSCURRENT password of the secret', async () => {
    const { role, ownerUrl, arn } = await setup({ password: 'current-password-from-the-secret' });
    const { code, messages } = await run('up', ownerUrl, role, arn);
    expect(code).toBe(0);
    expect(messages).toContain(`api login ${role}: created; password set from ${arn}; data access to schema public granted; no DDL, no role management`);
    expect(await signsIn(urlAs(ownerUrl, role, 'current-password-from-the-secret'))).toBe(true);
    expect(messages.join('\n')).not.toContain('current-password-from-the-secret');
  });

  it('follows the secret after it changed outside a rotation', async () => {
    const { role, ownerUrl, arn } = await setup({ password: 'first-password-of-the-secret' });
    expect((await run('up', ownerUrl, role, arn)).code).toBe(0);
    await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ username: role, password: 'second-password-of-the-secret' }) }));
    const { code, messages } = await run('up', ownerUrl, role, arn);
    expect(code).toBe(0);
    expect(messages).toContain(`api login ${role}: exists; password set from ${arn}; data access to schema public granted; no DDL, no role management`);
    expect(await signsIn(urlAs(ownerUrl, role, 'second-password-of-the-secret'))).toBe(true);
  });

  it('leaves the password to a rotation under way, and says what to do', async () => {
    const { role, ownerUrl, arn } = await setup({ password: 'password-before-rotation' });
    expect((await run('up', ownerUrl, role, arn)).code).toBe(0);
    // The rotation's setSecret step ran (the database has the next password); finishSecret has not.
    await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ username: role, password: 'password-being-rotated-in' }), VersionStages: ['AWSPENDING'] }));
    await sql(ownerUrl, `ALTER ROLE ${role} PASSWORD 'password-being-rotated-in'`);
    const { code, messages } = await run('up', ownerUrl, role, arn);
    expect(code).toBe(1);
    expect(messages).toContain(
      `migration failed: the api login "${role}" does not accept the current password of ${arn} while a rotation of that secret is under way (a version is staged AWSPENDING). Fix: let the rotation finish (aws secretsmanager describe-secret --secret-id ${arn}), then run migrate again; if it failed, see runbooks/secret-rotation.md`,
    );
    expect(await signsIn(urlAs(ownerUrl, role, 'password-being-rotated-in'))).toBe(true);
  });

  it('changes nothing during a rotation whose new password is not set yet', async () => {
    const { role, ownerUrl, arn } = await setup({ password: 'password-still-current' });
    expect((await run('up', ownerUrl, role, arn)).code).toBe(0);
    await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ username: role, password: 'password-not-yet-set' }), VersionStages: ['AWSPENDING'] }));
    const { code, messages } = await run('up', ownerUrl, role, arn);
    expect(code).toBe(0);
    expect(messages).toContain(`api login ${role}: exists; password already current; data access to schema public granted; no DDL, no role management`);
  });

  it('refuses a secret made for another login', async () => {
    const { role, ownerUrl, arn } = await setup({ password: 'some-password-1234567' });
    await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify({ username: 'someone_else', password: 'some-password-1234567' }) }));
    const { code, messages } = await run('up', ownerUrl, role, arn);
    expect(code).toBe(1);
    expect(messages).toContain(`migration failed: the secret ${arn} is for the login "someone_else", but DB_APP_USER is "${role}". Fix: set DB_APP_USER=someone_else, or point DB_APP_SECRET_ARN at the secret of ${role}`);
  });

  it.each([
    ['is not JSON', 'not json', 'is not JSON; it must hold {"username": …, "password": …} like an RDS database secret'],
    ['has no password', JSON.stringify({ username: 'x' }), 'has no password field; it must hold {"username": …, "password": …} like an RDS database secret'],
  ])('refuses a secret that %s', async (_what, secretString, reason) => {
    const { role, ownerUrl, arn } = await setup(secretString);
    const { code, messages } = await run('up', ownerUrl, role, arn);
    expect(code).toBe(1);
    expect(messages).toContain(`migration failed: the secret DB_APP_SECRET_ARN=${arn} ${reason}`);
  });

  it('says which permission to check when the secret cannot be read', async () => {
    const { role, ownerUrl } = await setup({ password: 'unused-password-1234567' });
    const missing = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db/missing-AbCdEf';
    const { code, messages } = await run('up', ownerUrl, role, missing);
    expect(code).toBe(1);
    expect(messages.find((m) => m.startsWith('migration failed:'))).toMatch(
      new RegExp(`^migration failed: could not read the api login's password from DB_APP_SECRET_ARN=${missing}: .+\\. Fix: check the ARN, and that this task may call secretsmanager:GetSecretValue and secretsmanager:DescribeSecret on it$`),
    );
  });

  it('is read by the `migrate` command itself with the default credentials and the region of the ARN', async () => {
    const { role, ownerUrl, arn } = await setup({ password: 'password-read-by-the-command' });
    const child = runCommand(['migrate', 'up'], { DATABASE_URL: ownerUrl, DB_APP_USER: role, DB_APP_SECRET_ARN: arn, LOG_LEVEL: 'info', ...emulatorEnv(moto.endpoint, 'us-east-1') });
    expect(await child.exited).toBe(0);
    expect(await signsIn(urlAs(ownerUrl, role, 'password-read-by-the-command'))).toBe(true);
  });
});

describe('the SCRAM verifier migrate sets', () => {
  it('is the one PostgreSQL computes for the same password, salt and iterations', async () => {
    const admin = server.url;
    await sql(admin, `SET password_encryption = 'scram-sha-256'; CREATE ROLE scram_probe PASSWORD 'Compare-Me_0123456789!'`);
    const stored = (await sql(admin, `SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_probe'`)).rows[0].rolpassword as string;
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored)!;
    expect(scramVerifier('Compare-Me_0123456789!', Buffer.from(salt!, 'base64'), Number(iterations))).toBe(stored);
  });

  it('refuses a password SASLprep might change', () => {
    expect(() => scramVerifier('naïve password')).toThrow('the password must be printable ASCII without spaces to be stored as a SCRAM verifier');
  });
});
