import { ACMClient, DescribeCertificateCommand, type CertificateDetail } from '@aws-sdk/client-acm';
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetAccountCommand, GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../infra/config.ts';
import { Reporter, runCommand } from '../lib/cli.ts';
import { ROLLBACK_SPEC } from '../lib/commands.ts';
import { certificateCovers, preflight, PREFLIGHT_SPEC, type PreflightContext } from '../lib/preflight.ts';
import { fakeClock } from '../lib/wait.ts';
import { fakeRunner } from './support/fake-runner.ts';
import { leftoverClients } from './support/teardown-fakes.ts';
import { REGION, testConfig } from './support/world.ts';

const clients = {
  sts: new STSClient({ region: REGION }),
  ssm: new SSMClient({ region: REGION }),
  route53: new Route53Client({ region: REGION }),
  acm: new ACMClient({ region: REGION }),
  ses: new SESv2Client({ region: REGION }),
  secrets: new SecretsManagerClient({ region: REGION }),
  quotas: new ServiceQuotasClient({ region: REGION }),
  cfn: new CloudFormationClient({ region: REGION }),
  iam: new IAMClient({ region: REGION }),
  // Leftovers of an earlier teardown: a fresh account has none of the names the kit retains.
  ...leftoverClients(REGION),
};
const m = {
  sts: mockClient(clients.sts),
  ssm: mockClient(clients.ssm),
  route53: mockClient(clients.route53),
  acm: mockClient(clients.acm),
  ses: mockClient(clients.ses),
  secrets: mockClient(clients.secrets),
  quotas: mockClient(clients.quotas),
  cfn: mockClient(clients.cfn),
  iam: mockClient(clients.iam),
  s3: mockClient(clients.s3),
  ecr: mockClient(clients.ecr),
  logs: mockClient(clients.logs),
};
const NS = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk'];
const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const notFound = (name: string) => Object.assign(new Error(name), { name });

beforeEach(() => {
  for (const mock of Object.values(m)) mock.reset();
  m.sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/Deployer/me' });
  m.ssm.on(GetParameterCommand, { Name: '/cdk-bootstrap/hnb659fds/version' }).resolves({ Parameter: { Value: '27' } });
  m.route53.on(GetHostedZoneCommand).resolves({ HostedZone: { Id: 'Z0123456789EXAMPLE', Name: 'example.com.', CallerReference: 'x', Config: { PrivateZone: false } }, DelegationSet: { NameServers: NS } });
  m.acm.on(DescribeCertificateCommand).resolves({ Certificate: { Status: 'ISSUED', DomainName: '*.example.com', SubjectAlternativeNames: ['*.example.com'], NotAfter: new Date('2026-09-01T00:00:00Z') } });
  // A first deploy: the edge stack has not made the identity yet, nor anything else the kit names.
  m.ses.on(GetEmailIdentityCommand).rejects(notFound('NotFoundException'));
  m.s3.on(HeadBucketCommand).rejects(notFound('NotFound'));
  m.ecr.on(DescribeRepositoriesCommand).rejects(notFound('RepositoryNotFoundException'));
  m.logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  m.secrets.on(DescribeSecretCommand).rejects(notFound('ResourceNotFoundException'));
  m.ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true });
  m.cfn.on(DescribeStacksCommand).rejects(new Error('Stack with id slipway-data does not exist'));
  m.cfn.on(ListStacksCommand).resolves({ StackSummaries: [] });
  m.cfn.on(GetTemplateCommand).rejects(new Error('Stack with id slipway-data does not exist'));
  m.quotas.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 100 } });
  m.iam.on(ListRolesCommand).callsFake((input: { PathPrefix: string }) => ({ Roles: [{ RoleName: 'r', Path: input.PathPrefix, Arn: 'arn', RoleId: 'id', CreateDate: new Date() }] }));
});

async function run(settings: Record<string, string> = {}, ctx: Partial<PreflightContext> = {}, load?: () => ReturnType<typeof testConfig>) {
  const lines: string[] = [];
  const reporter = new Reporter({ json: false, stdout: { write: (t: string) => lines.push(t) } });
  // A deployable production account: the alarms reach someone (infra/config.ts DEPLOY_CHECKS).
  const config = testConfig({ ALARM_EMAIL: 'ops@example.com', ...settings });
  const result = await preflight(load ?? (() => config), (c) => ({
    config: c,
    clients,
    runner: fakeRunner([{ match: /^docker info/, result: { stdout: '27' } }]),
    clock: fakeClock(Date.parse('2026-03-02T10:00:00Z')),
    resolveNs: async () => [...NS].reverse().map((n) => `${n}.`),
    env: {},
    ...ctx,
  }), reporter);
  return { result, text: lines.join('') };
}

const checks = (r: Awaited<ReturnType<typeof run>>) => r.result.document.checks as Array<{ name: string; status: string; detail: string; fix?: string }>;
const check = (r: Awaited<ReturnType<typeof run>>, name: string) => checks(r).find((c) => c.name === name)!;

describe('preflight', () => {
  it('passes a ready account, each check marked ✓', async () => {
    const r = await run();
    expect(r.result.ok).toBe(true);
    expect(r.result.summary).toBe('all 15 checks passed: ready to deploy');
    expect(check(r, 'database storage')).toMatchObject({ status: 'pass', detail: 'no database yet: the first deploy allocates 50 GiB' });
    expect(r.text).toContain('✓ certificate: will be created and DNS-validated in example.com, which is delegated to this zone');
    expect(r.text).toContain('✓ required secrets: none yet: the first deploy generates them in Secrets Manager');
  });

  it('settings that do not parse fail first, naming the setting', async () => {
    const r = await run({}, {}, () => {
      throw new ConfigError(['DOMAIN_NAME="x" is not a lower-case DNS name. Fix: e.g. tracker.example.com']);
    });
    expect(r.result.ok).toBe(false);
    expect(r.result.summary).toBe('the settings do not parse: Invalid Slipway settings:; - DOMAIN_NAME="x" is not a lower-case DNS name. Fix: e.g. tracker.example.com');
  });

  it('settings that do not parse exit 2, as --help says and as every other command exits for them', async () => {
    const io = () => ({ argv: [], env: {}, stdout: { write: () => true }, stderr: { write: () => true } });
    const load = () => testConfig({ MIGRATE_TIMEOUT_MINUTES: '99' });
    const code = await runCommand(PREFLIGHT_SPEC, io(), (_flags, reporter) => preflight(load, () => { throw new Error('not reached'); }, reporter));
    expect(code).toBe(2);
    expect(await runCommand(ROLLBACK_SPEC, io(), async () => load() && { ok: true, summary: '', document: {} })).toBe(2);
  });

  it('refuses settings that are still the example values from cdk.json, naming them', async () => {
    const r = await run({}, {}, () => ({ ...testConfig(), exampleSettings: ['AWS_ACCOUNT_ID', 'DOMAIN_NAME'] }));
    expect(r.result.ok).toBe(false);
    expect(check(r, 'settings')).toEqual({
      name: 'settings',
      status: 'fail',
      detail: 'still the example values for AWS_ACCOUNT_ID, DOMAIN_NAME (cdk.json "slipway:example-settings")',
      fix: 'set your own values in .env (copy .env.example) or cdk.json context',
    });
    expect(r.result.summary).toBe('1 check(s) failed: settings');
  });

  it('refuses settings cdk synth would refuse: production without ALARM_EMAIL', async () => {
    const r = await run({}, {}, () => ({ ...testConfig({ DEPLOY_PROFILE: 'production' }), alarmEmail: undefined }));
    expect(r.result.ok).toBe(false);
    expect(check(r, 'settings')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^may not be deployed: ALARM_EMAIL=\(unset\) is required with DEPLOY_PROFILE=production/) });
    expect(r.result.summary).toBe('1 check(s) failed: settings');
  });

  it('credentials for another account fail with the fix', async () => {
    m.sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/me' });
    const r = await run();
    expect(check(r, 'AWS identity and account')).toMatchObject({
      status: 'fail',
      detail: 'the credentials are for account 999999999999 (arn:aws:iam::999999999999:user/me) but AWS_ACCOUNT_ID=123456789012',
      fix: 'switch AWS_PROFILE to the target account, or correct AWS_ACCOUNT_ID',
    });
    expect(r.result.summary).toBe('1 check(s) failed: AWS identity and account');
  });

  it('without credentials, says so once and skips the checks that need AWS', async () => {
    m.sts.on(GetCallerIdentityCommand).rejects(new Error('Could not load credentials from any providers'));
    const r = await run();
    expect(check(r, 'AWS identity and account')).toMatchObject({ status: 'fail', detail: 'no usable AWS credentials: Could not load credentials from any providers' });
    expect(check(r, 'hosted zone')).toMatchObject({ status: 'skip', detail: 'needs usable AWS credentials (see above)' });
    expect(checks(r).filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['AWS identity and account']);
    expect(r.result.ok).toBe(false);
  });

  it('a shell region that differs from the settings is a warning', async () => {
    const r = await run({}, { env: { AWS_DEFAULT_REGION: 'us-east-1' } });
    expect(check(r, 'region')).toMatchObject({ status: 'warn', detail: 'the settings say eu-west-1 but the shell\'s default region is us-east-1' });
    expect(r.result.ok).toBe(true);
  });

  it('a missing CDK bootstrap fails with the bootstrap command', async () => {
    m.ssm.on(GetParameterCommand).rejects(notFound('ParameterNotFound'));
    const r = await run();
    expect(check(r, 'CDK bootstrap')).toMatchObject({ status: 'fail', fix: 'npx cdk bootstrap aws://123456789012/eu-west-1' });
  });

  it('a hosted zone with another name fails', async () => {
    m.route53.on(GetHostedZoneCommand).resolves({ HostedZone: { Id: 'Z0123456789EXAMPLE', Name: 'other.org.', CallerReference: 'x' }, DelegationSet: { NameServers: NS } });
    const r = await run();
    expect(check(r, 'hosted zone').detail).toBe('zone Z0123456789EXAMPLE is other.org, not HOSTED_ZONE_NAME=example.com');
  });

  it('an undelegated zone fails the certificate check when the kit would create the certificate', async () => {
    const r = await run({}, { resolveNs: async () => ['ns1.registrar.example.'] });
    expect(check(r, 'certificate')).toMatchObject({
      status: 'fail',
      detail: `example.com is delegated to ns1.registrar.example, not to this zone (${[...NS].sort().join(', ')})`,
    });
  });

  it.each([
    [{ Status: 'PENDING_VALIDATION', DomainName: 'tracker.example.com', NotAfter: new Date('2027-01-01') }, 'certificate status is PENDING_VALIDATION'],
    [{ Status: 'ISSUED', DomainName: 'other.example.org', NotAfter: new Date('2027-01-01') }, 'the certificate covers other.example.org, not tracker.example.com'],
    [{ Status: 'ISSUED', DomainName: 'tracker.example.com', NotAfter: new Date('2026-03-20T00:00:00Z') }, 'the certificate expires in 17 days'],
  ])('an imported certificate %j fails: %s', async (certificate, detail) => {
    m.acm.on(DescribeCertificateCommand).resolves({ Certificate: certificate as CertificateDetail });
    const r = await run({ CERTIFICATE_ARN: CERT });
    expect(check(r, 'certificate')).toMatchObject({ status: 'fail', detail });
  });

  it('an imported certificate that is issued, covers the domain and lasts passes', async () => {
    const r = await run({ CERTIFICATE_ARN: CERT });
    expect(check(r, 'certificate')).toMatchObject({ status: 'pass', detail: 'imported, ISSUED, covers tracker.example.com, 182 days left' });
  });

  it('the SES sandbox is a warning of its own (ses-sandbox.test.ts has its messages); a failed DKIM is a failure', async () => {
    m.ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false });
    m.ses.on(GetEmailIdentityCommand).rejects(notFound('NotFoundException'));
    const sandbox = await run();
    expect(check(sandbox, 'SES identity')).toMatchObject({ status: 'pass', detail: 'not created yet (the edge stack creates it with its DKIM records)' });
    expect(check(sandbox, 'SES sandbox').status).toBe('warn');
    expect(sandbox.result.ok).toBe(true);
    m.ses.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: false, DkimAttributes: { Status: 'FAILED' } });
    expect(check(await run(), 'SES identity')).toMatchObject({ status: 'fail', detail: 'identity tracker.example.com: DKIM FAILED' });
  });

  it('no container build tool fails', async () => {
    const r = await run({}, { runner: fakeRunner([]) });
    expect(check(r, 'container build tool').status).toBe('fail');
  });

  it('placeholder secrets fail without printing their values', async () => {
    m.cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'slipway-data', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [
        { OutputKey: 'SessionSecretArn', OutputValue: 'arn:session' },
        { OutputKey: 'MetricsTokenSecretArn', OutputValue: 'arn:metrics' },
        { OutputKey: 'CredentialsKeySecretArn', OutputValue: 'arn:key' },
      ] }],
    });
    m.secrets.on(GetSecretValueCommand).resolves({ SecretString: 'a'.repeat(48) });
    m.secrets.on(GetSecretValueCommand, { SecretId: 'arn:metrics' }).resolves({ SecretString: 'change-me' });
    const r = await run();
    expect(check(r, 'required secrets')).toMatchObject({ status: 'fail', detail: 'arn:metrics holds a placeholder or a value under 32 characters' });
    expect(r.text).not.toContain('change-me');
  });

  it('a quota below what the deploy needs fails; unreadable quotas are a warning', async () => {
    m.quotas.on(GetServiceQuotaCommand, { ServiceCode: 'fargate', QuotaCode: 'L-3032A538' }).resolves({ Quota: { Value: 4 } });
    expect(check(await run(), 'service quotas')).toMatchObject({ status: 'fail', detail: 'Fargate On-Demand vCPUs at maximum scale: quota 4, this deploy needs 4.25' });
    m.quotas.on(GetServiceQuotaCommand).rejects(notFound('AccessDeniedException'));
    expect(check(await run(), 'service quotas').status).toBe('warn');
  });

  it('a quota with no applied value falls back to the AWS default, and is checked against it', async () => {
    m.quotas.on(GetServiceQuotaCommand, { ServiceCode: 'fargate', QuotaCode: 'L-3032A538' }).rejects(notFound('NoSuchResourceException'));
    m.quotas.on(GetAWSDefaultServiceQuotaCommand, { ServiceCode: 'fargate', QuotaCode: 'L-3032A538' }).resolves({ Quota: { Value: 4 } });
    expect(check(await run(), 'service quotas')).toMatchObject({ status: 'fail', detail: 'Fargate On-Demand vCPUs at maximum scale: quota 4 (the default), this deploy needs 4.25' });
  });

  it('a quota that cannot be read at all is reported by name, not passed as "read"', async () => {
    m.quotas.on(GetServiceQuotaCommand, { ServiceCode: 'rds', QuotaCode: 'L-7B6409FD' }).rejects(notFound('NoSuchResourceException'));
    m.quotas.on(GetAWSDefaultServiceQuotaCommand).rejects(notFound('NoSuchResourceException'));
    expect(check(await run(), 'service quotas')).toMatchObject({
      status: 'warn',
      detail: '4 of 5 quota(s) read with room; could not read RDS DB instances (one more for restore drills) (rds L-7B6409FD): no applied value, and the default could not be read (NoSuchResourceException)',
    });
  });

  it('missing service-linked roles fail with the commands that create them', async () => {
    m.iam.on(ListRolesCommand).callsFake((input: { PathPrefix: string }) => ({ Roles: input.PathPrefix.includes('elasticache') || input.PathPrefix.includes('application-autoscaling') ? [] : [{ RoleName: 'r', Path: input.PathPrefix, Arn: 'arn', RoleId: 'id', CreateDate: new Date() }] }));
    expect(check(await run(), 'service-linked roles')).toEqual({
      name: 'service-linked roles',
      status: 'fail',
      detail: 'missing in this account: AWSServiceRoleForApplicationAutoScaling_ECSService (ECS autoscaling), AWSServiceRoleForElastiCache (ElastiCache); the first deploy can fail with "Unable to assume the service linked role"',
      fix: 'aws iam create-service-linked-role --aws-service-name ecs.application-autoscaling.amazonaws.com && aws iam create-service-linked-role --aws-service-name elasticache.amazonaws.com',
    });
  });

  it('service-linked roles that cannot be listed are a warning naming them', async () => {
    m.iam.on(ListRolesCommand).rejects(notFound('AccessDeniedException'));
    expect(check(await run(), 'service-linked roles')).toMatchObject({ status: 'warn', detail: 'could not list IAM roles (AccessDeniedException)' });
  });

  it('a check that crashes is reported as that check failing', async () => {
    m.route53.on(GetHostedZoneCommand).rejects(new Error('Throttling: rate exceeded'));
    const r = await run();
    expect(check(r, 'hosted zone')).toMatchObject({ status: 'fail', detail: 'could not check: Throttling: rate exceeded' });
  });
});

describe('certificate names', () => {
  it('match exactly or by one-label wildcard', () => {
    expect(certificateCovers(['tracker.example.com'], 'tracker.example.com')).toBe(true);
    expect(certificateCovers(['*.example.com'], 'tracker.example.com')).toBe(true);
    expect(certificateCovers(['*.example.com'], 'a.tracker.example.com')).toBe(false);
    expect(certificateCovers(['example.com'], 'tracker.example.com')).toBe(false);
  });
});
