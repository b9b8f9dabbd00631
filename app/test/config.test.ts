import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApiConfig } from '../src/config/api.ts';
import { loadMigrateConfig } from '../src/config/migrate.ts';
import { decodeKey, isPlaceholder } from '../src/config/secrets.ts';
import { loadWebConfig } from '../src/config/web.ts';
import { problemsOf } from './support/config.ts';

const DB = { DATABASE_URL: 'postgres://app:pw@db.internal:5432/slipway' };
const STRONG = {
  SESSION_SECRET: 'q8Jr2vN0c1LxWz7PfHk3TsYb9MdGe5AuRj6Ci4Vo',
  METRICS_TOKEN: 'Zt4Kp8Wq1Ls6Nv3Hx9Rb2Fm7Jc0Yg5Ud',
  CREDENTIALS_ENCRYPTION_KEY: '5f0c2a9e8b7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c',
};

describe('api settings', () => {
  it('starts with only a database in development and uses the documented defaults', () => {
    const config = loadApiConfig({ ...DB });
    expect(config.port).toBe(7016);
    expect(config.environment).toBe('development');
    expect(config.database.maxConnections).toBe(10);
    expect(config.database.minConnections).toBe(0);
    expect(config.redis).toBeUndefined();
    expect(config.secrets.devDefaults).toEqual(['SESSION_SECRET', 'METRICS_TOKEN', 'CREDENTIALS_ENCRYPTION_KEY']);
    expect(config.secrets.encryptionKey).toHaveLength(32);
    expect(config.allowedOrigins).toEqual(['http://localhost:7015']);
  });

  it('reports every bad variable at once, each with what it expects', () => {
    const problems = problemsOf(() =>
      loadApiConfig({ ...DB, API_PORT: 'seventy', DATABASE_MAX_CONNS: '0', LOG_LEVEL: 'loud', ALLOW_SIGNUP: 'maybe', TRUSTED_PROXY_CIDRS: '10.0.0.0/33' }),
    );
    expect(problems).toEqual([
      'LOG_LEVEL="loud": expected one of trace, debug, info, warn, error, fatal, silent',
      'API_PORT="seventy": expected a whole number from 0 to 65535',
      'TRUSTED_PROXY_CIDRS="10.0.0.0/33": "10.0.0.0/33" is not an IP address or CIDR; expected e.g. 10.0.0.0/16,127.0.0.1/32',
      'DATABASE_MAX_CONNS="0": expected a whole number from 1 to 1000',
      'ALLOW_SIGNUP="maybe": expected true or false',
    ]);
  });

  it('the error message names the command and points at .env.example', () => {
    expect(() => loadApiConfig({})).toThrow(/Invalid configuration for `api` \(1 problem\):\n {2}- DATABASE_URL: required: set DATABASE_URL=postgres:\/\/user:password@host:5432\/db, or DB_HOST, DB_USER, DB_PASSWORD and DB_NAME\nSee \.env\.example/);
  });

  it('accepts the database as parts, as ECS injects them from the RDS secret', () => {
    const config = loadApiConfig({ DB_HOST: 'db.internal', DB_PORT: '5433', DB_USER: 'app', DB_PASSWORD: 'pw', DB_NAME: 'slipway', DB_SSL: 'require' });
    expect(config.database.pool).toMatchObject({ host: 'db.internal', port: 5433, user: 'app', password: 'pw', database: 'slipway', ssl: { rejectUnauthorized: false } });
    expect(config.database.target).toBe('db.internal:5433/slipway');
  });

  it('names the missing parts when only some are given', () => {
    expect(problemsOf(() => loadApiConfig({ DB_HOST: 'db.internal' }))).toEqual([
      'DB_USER: required with DB_HOST (or set DATABASE_URL instead)',
      'DB_NAME: required with DB_HOST (or set DATABASE_URL instead)',
    ]);
  });

  it('refuses a minimum pool larger than the maximum', () => {
    expect(problemsOf(() => loadApiConfig({ ...DB, DATABASE_MAX_CONNS: '5', DATABASE_MIN_CONNS: '6' }))).toEqual([
      'DATABASE_MIN_CONNS="6": must not exceed DATABASE_MAX_CONNS (5)',
    ]);
  });

  it('never echoes a URL that may hold a password', () => {
    const problems = problemsOf(() => loadApiConfig({ DATABASE_URL: 'mysql://u:hunter2@db/x' }));
    expect(problems).toEqual(['DATABASE_URL: scheme mysql: is not supported; expected postgres: or postgresql:']);
    expect(problems.join()).not.toContain('hunter2');
  });

  it('reads rediss:// with a password as TLS with AUTH', () => {
    const config = loadApiConfig({ ...DB, REDIS_URL: 'rediss://:s3cret%2Ftoken@cache.internal:6380/2' });
    expect(config.redis?.options).toMatchObject({ host: 'cache.internal', port: 6380, password: 's3cret/token', db: 2, tls: { servername: 'cache.internal' } });
  });

  it('builds Redis from parts with the AUTH token injected on its own', () => {
    const config = loadApiConfig({ ...DB, REDIS_HOST: 'cache.internal', REDIS_TLS: 'true', REDIS_AUTH_TOKEN: 'tok' });
    expect(config.redis?.options).toMatchObject({ host: 'cache.internal', port: 6379, password: 'tok', tls: { servername: 'cache.internal' } });
  });

  it('refuses a Redis URL with another scheme', () => {
    expect(problemsOf(() => loadApiConfig({ ...DB, REDIS_URL: 'http://cache:6379' }))).toEqual([
      'REDIS_URL: scheme http: is not supported; expected redis: or rediss:',
    ]);
  });

  it('requires SMTP_HOST with EMAIL_PROVIDER=smtp and AWS_REGION with S3_BUCKET', () => {
    expect(problemsOf(() => loadApiConfig({ ...DB, EMAIL_PROVIDER: 'smtp', S3_BUCKET: 'files' }))).toEqual([
      'SMTP_HOST: required when EMAIL_PROVIDER=smtp',
      'AWS_REGION: required with S3_BUCKET (the bucket region, e.g. eu-west-1)',
    ]);
  });

  it('port 465 implies implicit TLS for SMTP', () => {
    const config = loadApiConfig({ ...DB, SMTP_HOST: 'smtp.example.test', SMTP_PORT: '465', SENDER_EMAIL: 'a@example.test' });
    expect(config.email.smtp).toMatchObject({ port: 465, tls: 'implicit' });
  });
});

describe('production secrets', () => {
  const production = { ...DB, SLIPWAY_ENV: 'production' };

  it('refuses to start with every secret missing, naming each and how to make one', () => {
    expect(problemsOf(() => loadApiConfig(production))).toEqual([
      'SESSION_SECRET: required in production; generate one with: openssl rand -base64 48',
      'METRICS_TOKEN: required in production; generate one with: openssl rand -hex 32',
      'CREDENTIALS_ENCRYPTION_KEY: required in production; generate one with: openssl rand -base64 32 (or 64 hex characters)',
    ]);
  });

  it.each([
    ['SESSION_SECRET', 'short-secret', 'SESSION_SECRET: too short (12 bytes); at least 32 bytes are required; generate one with: openssl rand -base64 48'],
    ['SESSION_SECRET', 'change-me-change-me-change-me-change-me', 'SESSION_SECRET: is a placeholder or example value; generate one with: openssl rand -base64 48'],
    ['METRICS_TOKEN', 'x'.repeat(40), 'METRICS_TOKEN: is a placeholder or example value; generate one with: openssl rand -hex 32'],
    ['METRICS_TOKEN', 'slipway-dev-only-metrics-token-not-for-production', 'METRICS_TOKEN: is a placeholder or example value; generate one with: openssl rand -hex 32'],
    ['CREDENTIALS_ENCRYPTION_KEY', 'Q'.repeat(31) + 'Zr7Lm2Kp9Xw4Bv8', 'CREDENTIALS_ENCRYPTION_KEY: must decode to exactly 32 bytes (64 hex characters or base64); generate one with: openssl rand -base64 32 (or 64 hex characters)'],
  ])('refuses a weak %s', (name, value, message) => {
    expect(problemsOf(() => loadApiConfig({ ...production, ...STRONG, [name]: value }))).toEqual([message]);
  });

  it('never prints a secret value in the message', () => {
    try {
      loadApiConfig({ ...production, ...STRONG, SESSION_SECRET: 'tiny-but-private' });
    } catch (error) {
      expect((error as Error).message).not.toContain('tiny-but-private');
    }
  });

  it('starts with strong secrets and uses them, with no development defaults', () => {
    const config = loadApiConfig({ ...production, ...STRONG });
    expect(config.secrets.devDefaults).toEqual([]);
    expect(config.secrets.values.SESSION_SECRET).toBe(STRONG.SESSION_SECRET);
    expect(config.metricsTokenConfigured).toBe(true);
    expect(config.secrets.encryptionKey.toString('hex')).toBe(STRONG.CREDENTIALS_ENCRYPTION_KEY);
  });

  it('a base64 encryption key of 32 bytes is accepted', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(decodeKey(key)?.length).toBe(32);
    expect(decodeKey(Buffer.alloc(31, 7).toString('base64'))).toBeUndefined();
  });

  it('outside production a given encryption key must still decode to 32 bytes', () => {
    expect(problemsOf(() => loadApiConfig({ ...DB, CREDENTIALS_ENCRYPTION_KEY: 'abc' }))).toEqual([
      'CREDENTIALS_ENCRYPTION_KEY: must decode to exactly 32 bytes (64 hex characters or base64); generate one with: openssl rand -base64 32 (or 64 hex characters)',
    ]);
  });

  it('recognizes placeholders but not real random values', () => {
    expect(isPlaceholder('replace-me-with-a-long-random-string-please')).toBe(true);
    expect(isPlaceholder('0123456789abcdef0123456789abcdef')).toBe(true);
    expect(isPlaceholder(STRONG.SESSION_SECRET)).toBe(false);
  });
});

describe('web and migrate settings', () => {
  it('web defaults to port 7015 and the local API', () => {
    const config = loadWebConfig({});
    expect(config.port).toBe(7015);
    expect(config.apiUpstreamUrl).toBe('http://127.0.0.1:7016');
  });

  it('web refuses a malformed API URL', () => {
    expect(problemsOf(() => loadWebConfig({ WEB_API_UPSTREAM_URL: 'not a url', WEB_PORT: '-1' }))).toEqual([
      'WEB_PORT="-1": expected a whole number from 0 to 65535',
      'WEB_API_UPSTREAM_URL: not a valid URL; expected http://host… or https://host…',
    ]);
  });

  it('web ignores SLIPWAY_API_URL, the address the CLI talks to (often the web server itself)', () => {
    expect(loadWebConfig({ SLIPWAY_API_URL: 'http://localhost:7015' }).apiUpstreamUrl).toBe('http://127.0.0.1:7016');
  });

  it.each([
    ['http://localhost:7015', {}],
    ['http://127.0.0.1:7015/', {}],
    ['http://0.0.0.0:7015', {}],
    ['http://[::1]:8080', { WEB_PORT: '8080' }],
    ['http://127.0.0.1:7015', { HOST: '0.0.0.0' }],
    ['http://tracker.lan:7015', { HOST: 'tracker.lan' }],
    ['http://localhost', { WEB_PORT: '80' }],
  ])('web refuses WEB_API_UPSTREAM_URL=%s, which is itself', (upstream, env) => {
    const { host } = new URL(upstream);
    const port = (env as { WEB_PORT?: string }).WEB_PORT ?? '7015';
    expect(problemsOf(() => loadWebConfig({ WEB_API_UPSTREAM_URL: upstream, ...env }))).toEqual([
      `WEB_API_UPSTREAM_URL: ${host} is this web server itself (WEB_PORT=${port}), so every /api request would loop back to it; set it to the API's address, e.g. http://127.0.0.1:7016`,
    ]);
  });

  it.each([
    ['http://127.0.0.1:7016', {}],
    ['http://api:7015', {}],
    ['http://127.0.0.1:7015', { HOST: '10.0.0.5' }],
  ])('web accepts WEB_API_UPSTREAM_URL=%s, another server', (upstream, env) => {
    expect(loadWebConfig({ WEB_API_UPSTREAM_URL: upstream, ...env }).apiUpstreamUrl).toBe(upstream);
  });

  it('migrate needs a database and a sane connect timeout', () => {
    expect(problemsOf(() => loadMigrateConfig({ MIGRATE_CONNECT_TIMEOUT_SECONDS: 'soon' }))).toEqual([
      'MIGRATE_CONNECT_TIMEOUT_SECONDS="soon": expected a whole number from 0 to 3600',
      'DATABASE_URL: required: set DATABASE_URL=postgres://user:password@host:5432/db, or DB_HOST, DB_USER, DB_PASSWORD and DB_NAME',
    ]);
    expect(loadMigrateConfig({ ...DB }).connectTimeoutSeconds).toBe(60);
  });
});

describe('listening address', () => {
  it.each([
    ['api', (env: Record<string, string>) => loadApiConfig({ ...DB, ...env })],
    ['web', (env: Record<string, string>) => loadWebConfig(env)],
  ])('%s listens on loopback only by default outside production', (_command, load) => {
    for (const environment of ['development', 'test']) {
      const config = load({ SLIPWAY_ENV: environment });
      expect(config.host).toBe('127.0.0.1');
      expect(config.listensBeyondLoopback).toBe(false);
    }
  });

  it.each([
    ['api', (env: Record<string, string>) => loadApiConfig({ ...DB, ...STRONG, ...env })],
    ['web', (env: Record<string, string>) => loadWebConfig(env)],
  ])('%s listens on every interface by default in production (behind the load balancer)', (_command, load) => {
    const config = load({ SLIPWAY_ENV: 'production' });
    expect(config.host).toBe('0.0.0.0');
    expect(config.listensBeyondLoopback).toBe(true);
  });

  it.each([
    ['0.0.0.0', true],
    ['::', true],
    ['192.168.1.20', true],
    ['tracker.lan', true],
    ['localhost', false],
    ['127.0.0.2', false],
    ['::1', false],
  ])('HOST=%s listens beyond loopback: %s', (host, beyond) => {
    const config = loadApiConfig({ ...DB, HOST: host });
    expect(config.host).toBe(host);
    expect(config.listensBeyondLoopback).toBe(beyond);
    expect(loadWebConfig({ HOST: host }).listensBeyondLoopback).toBe(beyond);
  });
});

describe('database TLS settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'bundle.pem');
  writeFileSync(bundle, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('verify-full checks the certificate against DB_SSL_CA_FILE', () => {
    const config = loadApiConfig({ ...DB, DB_SSL: 'verify-full', DB_SSL_CA_FILE: bundle });
    expect(config.database.pool.ssl).toEqual({ rejectUnauthorized: true, ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' });
    expect(config.database.ssl).toEqual({ mode: 'verify-full', caFile: bundle });
  });

  it('refuses a CA file that does not exist, naming the setting and the fix', () => {
    const missing = join(dir, 'nope.pem');
    expect(problemsOf(() => loadMigrateConfig({ ...DB, DB_SSL: 'verify-full', DB_SSL_CA_FILE: missing }))).toEqual([
      `DB_SSL_CA_FILE=${JSON.stringify(missing)}: cannot be read (no such file); give the path of the CA bundle (PEM) that signed the database's certificate, e.g. the RDS global bundle`,
    ]);
  });

  it('refuses a CA file with no PEM certificate in it', () => {
    const notPem = join(dir, 'key.der');
    writeFileSync(notPem, 'not a certificate');
    expect(problemsOf(() => loadApiConfig({ ...DB, DB_SSL: 'verify-full', DB_SSL_CA_FILE: notPem }))).toEqual([
      `DB_SSL_CA_FILE=${JSON.stringify(notPem)}: holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line); give the CA bundle in PEM form, e.g. the RDS global bundle`,
    ]);
  });

  it.each([
    ['require', '"require"'],
    [undefined, 'unset'],
  ])('refuses a CA file with DB_SSL=%s, where it would be ignored', (mode, shown) => {
    const env = { ...DB, DB_SSL_CA_FILE: bundle, ...(mode ? { DB_SSL: mode } : {}) };
    expect(problemsOf(() => loadApiConfig(env))).toEqual([
      `DB_SSL_CA_FILE=${JSON.stringify(bundle)}: is only used with DB_SSL=verify-full (DB_SSL is ${shown}): set DB_SSL=verify-full to check the server's certificate against it, or unset DB_SSL_CA_FILE`,
    ]);
  });
});
