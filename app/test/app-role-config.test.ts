/** DB_APP_USER, DB_APP_PASSWORD, DB_APP_SECRET_ARN: the api login migrate keeps. */
import { describe, expect, it } from 'vitest';
import { loadMigrateConfig } from '../src/config/migrate.ts';
import { problemsOf } from './support/config.ts';

const OWNER = { DATABASE_URL: 'postgres://slipway:owner-password@db.internal:5432/slipway' };
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db/app-AbCdEf';
const PASSWORD = 'a-long-enough-password-1234';

describe('the api login settings of migrate', () => {
  it('are off unless DB_APP_USER is set', () => {
    expect(loadMigrateConfig(OWNER).appRole).toBeUndefined();
  });

  it('take the password from DB_APP_PASSWORD or from the secret DB_APP_SECRET_ARN', () => {
    expect(loadMigrateConfig({ ...OWNER, DB_APP_USER: 'slipway_app', DB_APP_PASSWORD: PASSWORD }).appRole).toEqual({
      user: 'slipway_app',
      password: { kind: 'setting', password: PASSWORD },
    });
    const parts = { DB_HOST: 'db.internal', DB_USER: 'slipway', DB_NAME: 'slipway', DB_PASSWORD: 'x' };
    expect(loadMigrateConfig({ ...parts, DB_APP_USER: 'slipway_app', DB_APP_SECRET_ARN: ARN }).appRole).toEqual({
      user: 'slipway_app',
      password: { kind: 'secret', secretArn: ARN },
    });
  });

  it.each([
    ['DB_APP_PASSWORD', { DB_APP_PASSWORD: PASSWORD }],
    ['DB_APP_SECRET_ARN', { DB_APP_SECRET_ARN: ARN }],
  ])('refuses %s without DB_APP_USER', (name, env) => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, ...env }))).toEqual([
      `${name === 'DB_APP_SECRET_ARN' ? `${name}=${JSON.stringify(`${ARN.slice(0, 57)}...`)}` : name}: is only used with DB_APP_USER (the api login that migrate creates): set DB_APP_USER too, or unset this`,
    ]);
  });

  it('refuses DB_APP_USER without a password source', () => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: 'slipway_app' }))).toEqual([
      'DB_APP_USER="slipway_app": needs its password: set DB_APP_SECRET_ARN (a Secrets Manager secret with a password field) or DB_APP_PASSWORD',
    ]);
  });

  it('refuses both password sources at once', () => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: 'slipway_app', DB_APP_PASSWORD: PASSWORD, DB_APP_SECRET_ARN: ARN }))).toEqual([
      'DB_APP_PASSWORD: and DB_APP_SECRET_ARN both give the password of DB_APP_USER: keep one (DB_APP_SECRET_ARN with Secrets Manager, else DB_APP_PASSWORD)',
    ]);
  });

  it.each(['Slipway_App', '1app', 'app-user', 'app user', 'a'.repeat(64)])('refuses the role name %j', (name) => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: name, DB_APP_PASSWORD: PASSWORD }))).toEqual([
      `DB_APP_USER=${JSON.stringify(name.length > 60 ? `${name.slice(0, 57)}...` : name)}: expected a lower-case PostgreSQL role name (a-z, 0-9 and _, not starting with a digit, at most 63 characters), e.g. slipway_app`,
    ]);
  });

  it.each([
    ['pg_app', 'pg_'],
    ['rdsapp', 'rds'],
  ])('refuses the reserved role name %s', (name, prefix) => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: name, DB_APP_PASSWORD: PASSWORD }))).toEqual([
      `DB_APP_USER="${name}": starts with "${prefix}", which PostgreSQL or RDS keep for their own roles; choose another name, e.g. slipway_app`,
    ]);
  });

  it('refuses the login migrate itself uses, from DATABASE_URL or DB_USER', () => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: 'slipway', DB_APP_PASSWORD: PASSWORD }))).toEqual([
      `DB_APP_USER="slipway": is the login migrate itself uses (DATABASE_URL's user); the api's login must be a second role, e.g. slipway_app`,
    ]);
    const parts = { DB_HOST: 'db.internal', DB_USER: 'owner', DB_NAME: 'slipway', DB_PASSWORD: 'x' };
    expect(problemsOf(() => loadMigrateConfig({ ...parts, DB_APP_USER: 'owner', DB_APP_SECRET_ARN: ARN }))).toEqual([
      `DB_APP_USER="owner": is the login migrate itself uses (DB_USER); the api's login must be a second role, e.g. slipway_app`,
    ]);
  });

  it('refuses a short DB_APP_PASSWORD and one with spaces or non-ASCII characters, never echoing it', () => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: 'slipway_app', DB_APP_PASSWORD: 'short-secret' }))).toEqual([
      'DB_APP_PASSWORD: is shorter than 16 characters; generate one with: openssl rand -base64 32',
    ]);
    for (const password of ['with a space in the middle', 'ünïcödé-password-long-enough']) {
      expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: 'slipway_app', DB_APP_PASSWORD: password }))).toEqual([
        'DB_APP_PASSWORD: may hold printable ASCII characters only (no spaces); generate one with: openssl rand -base64 32',
      ]);
    }
  });

  it('refuses a DB_APP_SECRET_ARN that is not a secret ARN', () => {
    expect(problemsOf(() => loadMigrateConfig({ ...OWNER, DB_APP_USER: 'slipway_app', DB_APP_SECRET_ARN: 'slipway/db/app' }))).toEqual([
      'DB_APP_SECRET_ARN="slipway/db/app": expected a Secrets Manager secret ARN, e.g. arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db/app-AbCdEf',
    ]);
  });
});
