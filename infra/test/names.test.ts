/**
 * Every name APP_NAME prefixes (infra/names.ts) against each AWS service's naming rules, for
 * every APP_NAME the settings schema accepts (fast-check draws them) and for the regions with
 * the longest codes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettings } from '../config.ts';
import { optionalNamed, resourceNames, retainedNames, type ResourceNames } from '../names.ts';
import { EXAMPLE_SETTINGS } from './support.ts';

const noDoubleHyphen = (s: string) => !s.includes('--');

/** Each service's rules, as its documentation states them. */
const RULES: Record<string, (n: ResourceNames) => Array<[string, boolean]>> = {
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
  'RDS DB instance identifier': (n) => [[n.dbInstanceIdentifier, /^[a-z][a-z0-9-]{0,62}$/.test(n.dbInstanceIdentifier) && noDoubleHyphen(n.dbInstanceIdentifier) && !n.dbInstanceIdentifier.endsWith('-')]],
  // https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html
  'ElastiCache replication group id': (n) => {
    const id = n.redisReplicationGroupId;
    const member = `${id}-002`;
    return [
      [id, /^[a-z][a-z0-9-]{0,39}$/.test(id) && noDoubleHyphen(id) && !id.endsWith('-')],
      // member cache cluster ids (API_CreateCacheCluster): at most 50 characters
      [member, member.length <= 50],
    ];
  },
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  'S3 bucket': (n) =>
    [n.attachmentsBucket, n.logsBucket].map((b) => [
      b,
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) &&
        !b.includes('..') &&
        !/^(xn--|sthree-|amzn-s3-demo-)/.test(b) &&
        !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(b),
    ]),
  // https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html
  'SSM parameter path': (n) => {
    const p = `${n.releaseHistoryPrefix}/20260101T000000Z-3f2a9c1`;
    return [[p, /^[A-Za-z0-9_.\-/]+$/.test(p) && !/^\/?(aws|ssm)/i.test(p) && p.split('/').length - 1 <= 15]];
  },
  // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
  'CloudWatch Logs group': (n) => n.dbLogGroups.map((g) => [g, /^[.\-_/#A-Za-z0-9]{1,512}$/.test(g)]),
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html
  'CloudWatch dashboard': (n) => [[n.dashboard, /^[A-Za-z0-9_-]{1,255}$/.test(n.dashboard)]],
  // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
  'ECR repository': (n) => [[n.repository, n.repository.length >= 2 && /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(n.repository)]],
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
  'CloudFormation stack': (n) => n.stacks.map((s) => [s, /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/.test(s)]),
  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
  'Secrets Manager secret': (n) => [n.dbSecret, n.dbAppSecret, n.redisAuthSecret, `${n.appSecretPrefix}/credentials-encryption-key`].map((s) => [s, /^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s)]),
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html, API_RegisterTaskDefinition.html
  'ECS cluster and task family': (n) => [n.cluster, n.migrateFamily].map((s) => [s, /^[A-Za-z0-9_-]{1,255}$/.test(s)]),
  // https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
  'SNS topic': (n) => [[n.alarmTopic, /^[A-Za-z0-9_-]{1,256}$/.test(n.alarmTopic)]],
};

const LONG_REGIONS = ['eu-west-1', 'ap-southeast-5', 'ap-northeast-3', 'us-gov-west-1'];
const accepts = (appName: string) => {
  try {
    parseSettings({ ...EXAMPLE_SETTINGS, APP_NAME: appName });
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
};
const broken = (appName: string, region: string) =>
  Object.entries(RULES).flatMap(([service, rule]) => rule(resourceNames(appName, '123456789012', region)).filter(([, ok]) => !ok).map(([name]) => `${service}: ${name}`));

describe('APP_NAME', () => {
  it('gives valid names for every service for every value the schema accepts', () => {
    const candidate = fc.stringMatching(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/);
    fc.assert(
      fc.property(candidate, fc.constantFrom(...LONG_REGIONS), (appName, region) => {
        if (!accepts(appName)) return;
        expect(broken(appName, region)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([['slipway'], ['acme-issues'], ['a1b'], ['tracker-eu-prod-0001']])('accepts %s, and every derived name is valid', (appName) => {
    expect(accepts(appName)).toBe(true);
    for (const region of LONG_REGIONS) expect(broken(appName, region)).toEqual([]);
  });

  it.each([
    ['acme--issues', 'RDS, ElastiCache and ECR names allow no two hyphens in a row'],
    ['awstracker', 'SSM parameter names may not start with aws'],
    ['ssm-tracker', 'SSM parameter names may not start with ssm'],
    ['sthree-tracker', 'S3 bucket names may not start with sthree-'],
    ['amzn-s3-demo-x', 'S3 bucket names may not start with amzn-s3-demo-'],
  ])('refuses %s (%s) with the rule and an example', (appName) => {
    expect(() => parseSettings({ ...EXAMPLE_SETTINGS, APP_NAME: appName })).toThrow(
      `APP_NAME="${appName}" must be 3-20 characters of a-z, 0-9 and single hyphens, start with a letter, end with a letter or digit, and not start with aws, ssm, sthree or amzn (it prefixes every resource name). Fix: e.g. slipway`,
    );
  });

  it.each([['acme--issues'], ['awstracker'], ['sthree-tracker']])('%s breaks a service rule, which is why the schema refuses it', (appName) => {
    expect(broken(appName, 'eu-west-1').length).toBeGreaterThan(0);
  });
});

describe('retainedNames', () => {
  it('follows the settings: no api login secret without DB_APP_LOGIN, a client secret per OAuth provider', () => {
    const secrets = (o: Parameters<typeof optionalNamed>[0]) =>
      retainedNames('slipway', '123456789012', 'eu-west-1', 'tracker.example.com', optionalNamed(o)).filter((n) => n.type === 'AWS::SecretsManager::Secret').map((n) => n.id);
    expect(secrets({ database: { appLogin: false }, oauth: { githubClientId: 'Iv1.abc' } })).toEqual([
      'slipway/db/master', 'slipway/redis/auth-token', 'slipway/app/session-secret', 'slipway/app/metrics-token', 'slipway/app/credentials-encryption-key', 'slipway/app/github-client-secret',
    ]);
    expect(secrets({ database: { appLogin: true }, oauth: { googleClientId: 'x.apps.googleusercontent.com' } })).toContain('slipway/app/google-client-secret');
  });

  it('lists every fixed name a teardown keeps, with the command that clears it', () => {
    const names = retainedNames('slipway', '123456789012', 'eu-west-1', 'tracker.example.com');
    expect(names.map((n) => n.name)).toEqual([
      's3://slipway-attachments-123456789012-eu-west-1',
      's3://slipway-logs-123456789012-eu-west-1',
      'secret slipway/db/master',
      'secret slipway/db/app',
      'secret slipway/redis/auth-token',
      'secret slipway/app/session-secret',
      'secret slipway/app/metrics-token',
      'secret slipway/app/credentials-encryption-key',
      'repository slipway',
      'log group /aws/rds/instance/slipway-db/postgresql',
      'log group /aws/rds/instance/slipway-db/upgrade',
      'SES identity tracker.example.com',
    ]);
    expect(names.find((n) => n.name === 'secret slipway/db/master')?.clear).toBe(
      'aws secretsmanager delete-secret --secret-id slipway/db/master --force-delete-without-recovery --region eu-west-1',
    );
    // `aws s3 rb --force` leaves the versions of a versioned bucket behind, so the bucket cannot go
    // (https://docs.aws.amazon.com/cli/latest/reference/s3/rb.html): every version is deleted first.
    expect(names[0]!.clear).toMatch(/^\[ .*list-object-versions --bucket slipway-attachments-123456789012-eu-west-1 .* = 0 \] \|\| aws s3api delete-objects --bucket slipway-attachments-123456789012-eu-west-1 .*list-object-versions.* && aws s3api delete-bucket --bucket slipway-attachments-123456789012-eu-west-1 --region eu-west-1$/);
  });
});
