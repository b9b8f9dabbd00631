import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLivenessServer } from '../../app/src/api/liveness-server.ts';
import { SHUTDOWN_SECONDS } from '../../app/src/config/shutdown.ts';
import { loadWebConfig } from '../../app/src/config/web.ts';
import { buildWebServer } from '../../app/src/web/server.ts';
import { APP_KEEP_ALIVE_TIMEOUT_SECONDS, CROSS_CHECKS, ConfigError, PROFILE_DEFAULTS, SETTING_NAMES, assertDeployable, loadConfig, parseSettings, settingsSchema } from '../config.ts';
import { CDK_CONTEXT, exampleConfig } from './support.ts';

const REQUIRED = {
  AWS_ACCOUNT_ID: '123456789012',
  AWS_REGION: 'eu-west-1',
  DOMAIN_NAME: 'tracker.example.com',
  HOSTED_ZONE_ID: 'Z0123456789EXAMPLE',
  HOSTED_ZONE_NAME: 'example.com',
};

function errorOf(overrides: Record<string, string>): ConfigError {
  try {
    parseSettings({ ...REQUIRED, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`settings were accepted: ${JSON.stringify(overrides)}`);
}

describe('profiles', () => {
  it('production is the default profile', () => {
    expect(parseSettings(REQUIRED).profile).toBe('production');
  });

  it('production defaults: Multi-AZ database, Redis replica, NAT per AZ, 2 tasks, 14 days, deletion protection', () => {
    const config = parseSettings(REQUIRED);
    expect(config.database).toMatchObject({ multiAz: true, backupRetentionDays: 14, deletionProtection: true });
    expect(config.redis.replicationEnabled).toBe(true);
    expect(config.network).toEqual({ maxAzs: 2, natGateways: 2 });
    expect(config.services.api.minTasks).toBe(2);
    expect(config.services.web.minTasks).toBe(2);
    expect(config.services.cpuArchitecture).toBe('ARM64');
  });

  it('production puts one NAT gateway in each AZ', () => {
    expect(parseSettings({ ...REQUIRED, MAX_AZS: '3' }).network.natGateways).toBe(3);
  });

  it('trial defaults: single-AZ database, one Redis node, one NAT gateway, one task, 7 days', () => {
    const config = parseSettings({ ...REQUIRED, DEPLOY_PROFILE: 'trial' });
    expect(config.database).toMatchObject({ multiAz: false, backupRetentionDays: 7 });
    expect(config.redis.replicationEnabled).toBe(false);
    expect(config.network.natGateways).toBe(1);
    expect(config.services.api.minTasks).toBe(1);
    expect(config.services.web.minTasks).toBe(1);
  });

  it('production releases blue/green with a 10-minute bake and a 5-minute gate budget', () => {
    expect(parseSettings(REQUIRED).deployment).toEqual({ strategy: 'blue-green', bakeTimeMinutes: 10, testBudgetSeconds: 300, smokeTokenSecretArn: undefined });
  });

  it('trial rolls tasks in place unless DEPLOY_STRATEGY says blue-green', () => {
    expect(parseSettings({ ...REQUIRED, DEPLOY_PROFILE: 'trial' }).deployment.strategy).toBe('rolling');
    expect(parseSettings({ ...REQUIRED, DEPLOY_PROFILE: 'trial', DEPLOY_STRATEGY: 'blue-green' }).deployment.strategy).toBe('blue-green');
  });

  it('every profile default can be overridden', () => {
    const config = parseSettings({ ...REQUIRED, DEPLOY_PROFILE: 'trial', DB_MULTI_AZ: 'true', API_MIN_TASKS: '2' });
    expect(config.database.multiAz).toBe(true);
    expect(config.services.api.minTasks).toBe(2);
  });

  it('both profiles define the same settings', () => {
    const keys = (p: object) => Object.keys(p).filter((k) => k !== 'NAT_GATEWAYS').sort();
    expect(keys(PROFILE_DEFAULTS.trial)).toEqual(keys(PROFILE_DEFAULTS.production));
  });

  it('the example settings in cdk.json parse', () => {
    expect(exampleConfig().appUrl).toBe('https://tracker.example.com');
  });
});

describe('sources', () => {
  it('CDK context wins over the environment', () => {
    const config = loadConfig({ env: { ...REQUIRED, APP_NAME: 'fromenv' }, context: { APP_NAME: 'fromcontext' }, envFile: false });
    expect(config.appName).toBe('fromcontext');
  });

  it('the environment wins over the .env file, which fills the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-env-'));
    try {
      const file = join(dir, '.env');
      writeFileSync(file, 'APP_NAME=fromfile\nDB_INSTANCE_PORT=6543\n');
      const config = loadConfig({ env: { ...REQUIRED, APP_NAME: 'fromenv' }, context: {}, envFile: file });
      expect(config.appName).toBe('fromenv');
      expect(config.database.port).toBe(6543);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads cdk.json by default, as the operator scripts do, and says which values are examples', () => {
    const config = loadConfig({ env: {}, envFile: false });
    expect(config.domain.domainName).toBe('tracker.example.com');
    expect(config.account).toBe('123456789012');
    expect(config.exampleSettings).toEqual(expect.arrayContaining(['AWS_ACCOUNT_ID', 'DOMAIN_NAME', 'HOSTED_ZONE_ID']));
  });

  it('a .env file replaces the example values (they are the lowest layer, not context)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-env-'));
    try {
      const file = join(dir, '.env');
      writeFileSync(file, 'DOMAIN_NAME=issues.acme.dev\nHOSTED_ZONE_NAME=acme.dev\nHOSTED_ZONE_ID=Z9ACME\nAWS_ACCOUNT_ID=210987654321\n');
      const config = loadConfig({ env: {}, envFile: file });
      expect(config.domain.domainName).toBe('issues.acme.dev');
      expect(config.account).toBe('210987654321');
      expect(config.exampleSettings).not.toContain('DOMAIN_NAME');
      expect(config.exampleSettings).not.toContain('AWS_ACCOUNT_ID');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with every setting given, nothing comes from the example', () => {
    const config = loadConfig({ env: {}, context: { ...REQUIRED, DEPLOY_PROFILE: 'production', APP_NAME: 'acme', ALARM_EMAIL: 'ops@acme.dev' }, envFile: false });
    expect(config.exampleSettings).toEqual([]);
  });

  it('context values may be JSON numbers and booleans', () => {
    const config = loadConfig({ env: {}, context: { ...REQUIRED, MAX_AZS: 3, DB_MULTI_AZ: false }, envFile: false });
    expect(config.network.maxAzs).toBe(3);
    expect(config.database.multiAz).toBe(false);
  });

  it('an empty value counts as unset', () => {
    expect(loadConfig({ env: { ...REQUIRED, APP_NAME: '' }, context: {}, envFile: false }).appName).toBe('slipway');
  });

  it('ignores keys that are not settings (feature flags in cdk.json)', () => {
    expect(() => parseSettings({ ...CDK_CONTEXT, ...REQUIRED })).not.toThrow();
  });

  it('returns a frozen config', () => {
    const config = parseSettings(REQUIRED);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
  });

  it('derives the SES domain and sender from the domain', () => {
    expect(parseSettings(REQUIRED).email).toEqual({
      sesDomain: 'tracker.example.com',
      senderEmail: 'no-reply@tracker.example.com',
      mailFromDomain: 'mail.tracker.example.com',
    });
  });

  it('accepts a zone name with a trailing dot', () => {
    expect(parseSettings({ ...REQUIRED, HOSTED_ZONE_NAME: 'example.com.' }).domain.hostedZoneName).toBe('example.com');
  });

  it('stop timeout is the shutdown hold plus drain plus a margin for the exit', () => {
    const { shutdown } = parseSettings({ ...REQUIRED, SHUTDOWN_HOLD_SECONDS: '7', SHUTDOWN_DRAIN_SECONDS: '20' });
    expect(shutdown.stopTimeoutSeconds).toBe(32);
  });

  it.each(['production', 'trial'])('uses the app\'s own shutdown defaults in %s (the same setting on both sides)', (profile) => {
    const { shutdown } = parseSettings({ ...REQUIRED, DEPLOY_PROFILE: profile });
    expect(shutdown.holdSeconds).toBe(SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_HOLD_SECONDS.default);
    expect(shutdown.drainSeconds).toBe(SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_DRAIN_SECONDS.default);
  });

  it.each([
    ['SHUTDOWN_HOLD_SECONDS', SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_HOLD_SECONDS],
    ['SHUTDOWN_DRAIN_SECONDS', SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_DRAIN_SECONDS],
  ] as const)('accepts %s over exactly the range the app accepts', (name, range) => {
    const other = name === 'SHUTDOWN_HOLD_SECONDS' ? { SHUTDOWN_DRAIN_SECONDS: '1' } : { SHUTDOWN_HOLD_SECONDS: '0' };
    expect(() => parseSettings({ ...REQUIRED, ...other, [name]: String(range.min) })).not.toThrow();
    expect(() => parseSettings({ ...REQUIRED, ...other, [name]: String(range.max) })).not.toThrow();
    expect(() => parseSettings({ ...REQUIRED, ...other, [name]: String(range.max + 1) })).toThrow(`${name}="${range.max + 1}" is above ${range.max}`);
    if (range.min > 0) expect(() => parseSettings({ ...REQUIRED, ...other, [name]: String(range.min - 1) })).toThrow(`${name}="${range.min - 1}" is below ${range.min}`);
  });

  it('lets the deregistration delay be longer than hold plus drain (ECS drains the target before SIGTERM)', () => {
    expect(parseSettings({ ...REQUIRED, DEREGISTRATION_DELAY_SECONDS: '300' }).shutdown.deregistrationDelaySeconds).toBe(300);
  });

  it('every setting has a name in the schema', () => {
    expect(SETTING_NAMES).toEqual(Object.keys(settingsSchema.shape));
  });
});

describe('load balancer idle timeout', () => {
  it.each(['production', 'trial'])('is 60 s in %s, below the app\'s keep-alive timeout', (profile) => {
    expect(parseSettings({ ...REQUIRED, DEPLOY_PROFILE: profile }).albIdleTimeoutSeconds).toBe(60);
  });

  it('accepts the longest value below the app\'s keep-alive timeout', () => {
    expect(parseSettings({ ...REQUIRED, ALB_IDLE_TIMEOUT_SECONDS: '71' }).albIdleTimeoutSeconds).toBe(71);
  });

  // The cross-check is only as good as APP_KEEP_ALIVE_TIMEOUT_SECONDS: read it from the servers.
  it('is checked against the keep-alive timeout the api server really has', async () => {
    const api = Fastify({ serverFactory: (handler, options) => createLivenessServer(handler, options, { isDraining: () => false, isClosing: () => false }) });
    try {
      expect(api.server.keepAliveTimeout).toBe(APP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000);
    } finally {
      await api.close();
    }
  });

  it('is checked against the keep-alive timeout the web server really has', async () => {
    const web = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
    try {
      expect(web.server.keepAliveTimeout).toBe(APP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000);
    } finally {
      await web.close();
    }
  });
});

describe('deploy checks', () => {
  const refusal = (overrides: Record<string, string>) => {
    try {
      assertDeployable(parseSettings({ ...REQUIRED, ...overrides }));
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return undefined;
  };

  it('refuse a production deploy without ALARM_EMAIL, whose alarms would reach nobody', () => {
    expect(refusal({})).toContain(
      'ALARM_EMAIL=(unset) is required with DEPLOY_PROFILE=production: without it every alarm notifies a topic nobody is subscribed to. Fix: set ALARM_EMAIL to the address that answers alarms',
    );
  });

  it('let a production deploy with ALARM_EMAIL go ahead', () => {
    expect(refusal({ ALARM_EMAIL: 'ops@example.com' })).toBeUndefined();
  });

  it('let a trial deploy without ALARM_EMAIL go ahead', () => {
    expect(refusal({ DEPLOY_PROFILE: 'trial' })).toBeUndefined();
  });

  it('are not settings validation: production settings without ALARM_EMAIL still load (smoke, rollback and teardown read them)', () => {
    expect(parseSettings(REQUIRED).alarmEmail).toBeUndefined();
  });
});

// Each message names the setting, shows its value and says how to fix it.
const BAD: Array<[string, Record<string, string>, string]> = [
  ['profile', { DEPLOY_PROFILE: 'staging' }, 'DEPLOY_PROFILE="staging" is not a profile. Fix: use production or trial'],
  ['account', { AWS_ACCOUNT_ID: '1234' }, 'AWS_ACCOUNT_ID="1234" an AWS account id is 12 digits. Fix:'],
  ['region', { AWS_REGION: 'Europe' }, 'AWS_REGION="Europe" is not an AWS region. Fix: use a region code such as eu-west-1'],
  ['app name', { APP_NAME: 'Slip Way' }, 'APP_NAME="Slip Way" must be 3-20 characters of a-z, 0-9 and single hyphens'],
  ['domain', { DOMAIN_NAME: 'tracker' }, 'DOMAIN_NAME="tracker" is not a lower-case DNS name. Fix:'],
  ['zone id', { HOSTED_ZONE_ID: 'abc' }, 'HOSTED_ZONE_ID="abc" is not a Route 53 hosted zone id. Fix:'],
  ['missing zone name', { HOSTED_ZONE_NAME: '' }, 'HOSTED_ZONE_NAME=(unset) is required. Fix: set it in .env, the environment or cdk.json context'],
  ['malformed certificate ARN', { CERTIFICATE_ARN: 'arn:aws:acm:eu-west-1:123:cert' }, 'CERTIFICATE_ARN="arn:aws:acm:eu-west-1:123:cert" is not an ACM certificate ARN. Fix:'],
  ['certificate in another region', { CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012' }, 'is in us-east-1 but the load balancer is in AWS_REGION=eu-west-1. Fix: import a certificate issued in eu-west-1'],
  ['domain outside the zone', { DOMAIN_NAME: 'tracker.example.org' }, 'DOMAIN_NAME="tracker.example.org" is outside the hosted zone HOSTED_ZONE_NAME=example.com. Fix: use a name ending in .example.com'],
  ['zone suffix without a dot', { DOMAIN_NAME: 'notexample.com' }, 'DOMAIN_NAME="notexample.com" is outside the hosted zone'],
  ['SES domain outside the zone', { SES_DOMAIN: 'mail.other.org' }, 'SES_DOMAIN="mail.other.org" is outside the hosted zone HOSTED_ZONE_NAME=example.com, so its DKIM records cannot be created. Fix:'],
  ['sender email shape', { SENDER_EMAIL: 'no-reply' }, 'SENDER_EMAIL="no-reply" is not an email address. Fix:'],
  ['sender outside the SES domain', { SENDER_EMAIL: 'me@gmail.com' }, 'SENDER_EMAIL="me@gmail.com" is not an address of SES_DOMAIN=tracker.example.com, so the app may not send from it. Fix: e.g. no-reply@tracker.example.com'],
  ['deployment strategy', { DEPLOY_STRATEGY: 'canary' }, 'DEPLOY_STRATEGY="canary" is not a deployment strategy. Fix: use blue-green (smoke-checked green tasks before any production traffic) or rolling'],
  ['bake time', { BAKE_TIME_MINUTES: '2000' }, 'BAKE_TIME_MINUTES="2000" is above 1440. Fix: use 0 to 1440 minutes'],
  ['green test budget', { GREEN_TEST_BUDGET_SECONDS: '10' }, 'GREEN_TEST_BUDGET_SECONDS="10" is below 60. Fix: use 60 to 3600 seconds'],
  ['smoke token secret ARN', { SMOKE_TOKEN_SECRET_ARN: 'slipway/smoke' }, 'SMOKE_TOKEN_SECRET_ARN="slipway/smoke" is not the complete ARN of a Secrets Manager secret'],
  ['smoke token secret ARN without its suffix', { SMOKE_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/smoke' }, 'SMOKE_TOKEN_SECRET_ARN="arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/smoke" is not the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf, ending in the hyphen and six characters Secrets Manager adds to the name; without them the gate may not read the secret). Fix: copy the ARN from the secret\'s details page in the Secrets Manager console, or from aws secretsmanager describe-secret --secret-id NAME --query ARN --output text; or unset it'],
  ['smoke token secret elsewhere', { SMOKE_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slipway/smoke-AbCdEf' }, 'is in 123456789012/us-east-1, but the hook that reads it runs in 123456789012/eu-west-1. Fix: create the secret in eu-west-1 of account 123456789012, or unset it'],
  ['mail from label', { MAIL_FROM_SUBDOMAIN: 'mail.from' }, 'MAIL_FROM_SUBDOMAIN="mail.from" is not a single DNS label. Fix: e.g. mail'],
  ['alarm email', { ALARM_EMAIL: 'ops' }, 'ALARM_EMAIL="ops" is not an email address. Fix: e.g. ops@example.com'],
  ['too many AZs', { MAX_AZS: '4' }, 'MAX_AZS="4" is above 3. Fix: use 2 or 3'],
  ['single AZ', { MAX_AZS: '1', REDIS_REPLICATION_ENABLED: 'false', NAT_GATEWAYS: '1' }, 'MAX_AZS="1" the load balancer and the database subnet group need two Availability Zones. Fix: set MAX_AZS to 2 or 3'],
  ['replication on a single AZ', { MAX_AZS: '1', NAT_GATEWAYS: '1' }, 'REDIS_REPLICATION_ENABLED="true" needs a replica in a second AZ but MAX_AZS=1. Fix: set MAX_AZS to 2 or 3, or REDIS_REPLICATION_ENABLED=false'],
  ['more NAT gateways than AZs', { NAT_GATEWAYS: '3' }, 'NAT_GATEWAYS="3" is more than MAX_AZS=2. Fix: use at most one NAT gateway per AZ (1 to 2)'],
  ['instance class shape', { DB_INSTANCE_CLASS: 'm5.large' }, 'DB_INSTANCE_CLASS="m5.large" is not an RDS instance class (db.<family>.<size>). Fix: e.g. db.t4g.medium'],
  ['boolean', { DB_MULTI_AZ: 'yes' }, 'DB_MULTI_AZ="yes" is not a boolean. Fix: use true or false'],
  ['storage too small', { DB_ALLOCATED_STORAGE_GIB: '10' }, 'DB_ALLOCATED_STORAGE_GIB="10" is below 20. Fix: use 20 to 65536 GiB (gp3)'],
  ['storage ceiling below size', { DB_ALLOCATED_STORAGE_GIB: '100', DB_MAX_ALLOCATED_STORAGE_GIB: '50' }, 'DB_MAX_ALLOCATED_STORAGE_GIB="50" is less than 10 % above DB_ALLOCATED_STORAGE_GIB=100, which RDS refuses for the storage autoscaling ceiling. Fix: set it to at least 110'],
  ['storage ceiling equal to the size', { DB_ALLOCATED_STORAGE_GIB: '100', DB_MAX_ALLOCATED_STORAGE_GIB: '100' }, 'DB_MAX_ALLOCATED_STORAGE_GIB="100" is less than 10 % above DB_ALLOCATED_STORAGE_GIB=100'],
  ['storage ceiling less than 10 % above the size', { DB_ALLOCATED_STORAGE_GIB: '1000', DB_MAX_ALLOCATED_STORAGE_GIB: '1099' }, 'DB_MAX_ALLOCATED_STORAGE_GIB="1099" is less than 10 % above DB_ALLOCATED_STORAGE_GIB=1000, which RDS refuses for the storage autoscaling ceiling. Fix: set it to at least 1100 (26 % above, 1260, also avoids RDS\'s near-the-ceiling events), or lower DB_ALLOCATED_STORAGE_GIB to at most 999'],
  ['storage ceiling with no room at the largest size', { DB_ALLOCATED_STORAGE_GIB: '65536', DB_MAX_ALLOCATED_STORAGE_GIB: '65536' }, 'Fix: set it to at least 72090 (26 % above, 82576, also avoids RDS\'s near-the-ceiling events), or lower DB_ALLOCATED_STORAGE_GIB to at most 59578'],
  ['short retention with Multi-AZ production', { DB_BACKUP_RETENTION_DAYS: '3' }, 'DB_BACKUP_RETENTION_DAYS="3" is under 7 days for a Multi-AZ production database. Fix: use 7 to 35 days'],
  ['retention above the RDS maximum', { DB_BACKUP_RETENTION_DAYS: '40' }, 'DB_BACKUP_RETENTION_DAYS="40" is above 35. Fix: use 7 to 35 days'],
  ['engine version', { DB_ENGINE_VERSION: '15' }, 'DB_ENGINE_VERSION="15" is not a supported PostgreSQL major version. Fix: use 16 or 17'],
  ['database port', { DB_INSTANCE_PORT: '80' }, 'DB_INSTANCE_PORT="80" is below 1150. Fix: use a port from 1150 to 65535'],
  ['Redis node type', { REDIS_NODE_TYPE: 't3.micro' }, 'REDIS_NODE_TYPE="t3.micro" is not an ElastiCache node type (cache.<family>.<size>). Fix: e.g. cache.t4g.small'],
  ['architecture', { CPU_ARCHITECTURE: 'arm' }, 'CPU_ARCHITECTURE="arm" is not a CPU architecture. Fix: use ARM64 or X86_64'],
  ['not a whole number', { API_MIN_TASKS: 'two' }, 'API_MIN_TASKS="two" is not a whole number. Fix:'],
  ['Fargate CPU', { API_CPU: '300' }, 'API_CPU="300" is not a Fargate CPU size. Fix: use 256, 512, 1024, 2048 or 4096'],
  ['memory for the CPU', { WEB_MEMORY_MIB: '4096' }, 'WEB_MEMORY_MIB="4096" does not fit WEB_CPU=256. Fix: use one of 512, 1024, 2048'],
  ['min above max', { WEB_MIN_TASKS: '5', WEB_MAX_TASKS: '3' }, 'WEB_MIN_TASKS="5" is above WEB_MAX_TASKS=3. Fix: raise WEB_MAX_TASKS or lower WEB_MIN_TASKS'],
  ['log retention', { LOG_RETENTION_DAYS: '10' }, 'LOG_RETENTION_DAYS="10" is not a CloudWatch Logs retention period. Fix: use one of 1, 3, 5, 7, 14'],
  ['image tag', { IMAGE_TAG: 'bad tag!' }, 'IMAGE_TAG="bad tag!" is not a container image tag. Fix: e.g. the git commit'],
  ['too few kept images', { ECR_KEEP_RELEASES: '2' }, 'ECR_KEEP_RELEASES="2" is below 5. Fix: keep at least 5 images so rollbacks have somewhere to go'],
  ['deregistration delay beyond the target group maximum', { DEREGISTRATION_DELAY_SECONDS: '3601' }, 'DEREGISTRATION_DELAY_SECONDS="3601" is above 3600. Fix: use the longest a request or event stream may keep running on a task that is being replaced, e.g. 30'],
  ['WAF mode', { WAF_MODE: 'detect' }, 'WAF_MODE="detect" is not a WAF mode. Fix: use block, or count to only count what the rules would block'],
  ['WAF rate limit too low', { WAF_RATE_LIMIT_PER_5_MINUTES: '5' }, 'WAF_RATE_LIMIT_PER_5_MINUTES="5" is below 10. Fix: use 10 to 2000000000 requests per IP address per 5 minutes, e.g. 2000'],
  ['WAF switch', { WAF_ENABLED: 'yes' }, 'WAF_ENABLED="yes" is not a boolean. Fix: use true or false'],
  ['shutdown beyond the stop timeout', { SHUTDOWN_HOLD_SECONDS: '60', SHUTDOWN_DRAIN_SECONDS: '56' }, 'SHUTDOWN_HOLD_SECONDS="60" plus SHUTDOWN_DRAIN_SECONDS=56 leaves no room under the 120 s Fargate stop timeout. Fix: keep hold + drain at most 115 s'],
  ['idle timeout too short for SSE', { ALB_IDLE_TIMEOUT_SECONDS: '10' }, 'ALB_IDLE_TIMEOUT_SECONDS="10" is below 30. Fix: use 30 to 71 (above the 15 s server-sent events heartbeat, below the app\'s 72 s keep-alive), e.g. 60'],
  ['idle timeout not below the app keep-alive', { ALB_IDLE_TIMEOUT_SECONDS: '72' }, 'ALB_IDLE_TIMEOUT_SECONDS="72" is not below the app\'s 72 s keep-alive timeout, so the load balancer may reuse a connection the app is closing and answer 502. Fix: use at most 71, e.g. 60 (the AWS default)'],
  ['migration timeout', { MIGRATE_TIMEOUT_MINUTES: '90' }, 'MIGRATE_TIMEOUT_MINUTES="90" is above 55. Fix: use 2 to 55 minutes'],
  ['missing account', { AWS_ACCOUNT_ID: '' }, 'AWS_ACCOUNT_ID=(unset) is required'],
];

describe('validation', () => {
  it.each(BAD)('rejects a bad %s with a message naming setting, value and fix', (_what, overrides, message) => {
    const error = errorOf(overrides);
    expect(error.message).toContain(message);
    expect(error.issues.every((issue) => issue.includes('Fix:'))).toBe(true);
  });

  it('reports every bad setting at once', () => {
    expect(errorOf({ DB_ENGINE_VERSION: '15', CPU_ARCHITECTURE: 'arm' }).issues).toHaveLength(2);
  });

  it.each([
    ['50', '55'],
    ['1000', '1100'],
    ['21', '24'],
  ])('accepts for %s GiB a storage ceiling of %s GiB and no less (ten per cent more, in whole GiB)', (allocated, ceiling) => {
    expect(parseSettings({ ...REQUIRED, DB_ALLOCATED_STORAGE_GIB: allocated, DB_MAX_ALLOCATED_STORAGE_GIB: ceiling }).database.maxAllocatedStorageGiB).toBe(Number(ceiling));
    expect(() => parseSettings({ ...REQUIRED, DB_ALLOCATED_STORAGE_GIB: allocated, DB_MAX_ALLOCATED_STORAGE_GIB: String(Number(ceiling) - 1) })).toThrow(ConfigError);
  });

  it('allows short backup retention for a single-AZ trial database', () => {
    expect(parseSettings({ ...REQUIRED, DEPLOY_PROFILE: 'trial', DB_BACKUP_RETENTION_DAYS: '3' }).database.backupRetentionDays).toBe(3);
  });

  it('accepts the complete ARN of the smoke token secret', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/smoke-token-AbCdEf';
    expect(parseSettings({ ...REQUIRED, SMOKE_TOKEN_SECRET_ARN: arn }).deployment.smokeTokenSecretArn).toBe(arn);
  });

  it('accepts an imported certificate in the stack region', () => {
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
    expect(parseSettings({ ...REQUIRED, CERTIFICATE_ARN: arn }).domain.certificateArn).toBe(arn);
  });

  it('every cross-setting check passes the example settings', () => {
    const parsed = settingsSchema.parse({ ...PROFILE_DEFAULTS.production, ...REQUIRED, DEPLOY_PROFILE: 'production', NAT_GATEWAYS: '2', SES_DOMAIN: REQUIRED.DOMAIN_NAME, SENDER_EMAIL: `no-reply@${REQUIRED.DOMAIN_NAME}` });
    expect(CROSS_CHECKS.flatMap((check) => check(parsed))).toEqual([]);
  });
});
