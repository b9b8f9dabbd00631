import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
let trial: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  trial = synthApp({ DEPLOY_PROFILE: 'trial', DB_INSTANCE_PORT: '6543' });
});
afterAll(() => {
  prod?.cleanup();
  trial?.cleanup();
});

const dynamicRef = (field: string) =>
  Match.objectLike({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', Match.anyValue(), `:SecretString:${field}::}}`]] });

describe('PostgreSQL', () => {
  it('is Multi-AZ in production', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true });
  });

  it('is single-AZ in trial', () => {
    trial.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false });
  });

  it('uses encrypted gp3 storage with autoscaling up to the ceiling', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageType: 'gp3',
      StorageEncrypted: true,
      AllocatedStorage: '50',
      MaxAllocatedStorage: 200,
    });
  });

  it('has deletion protection and snapshots on removal', () => {
    prod.templates.data.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ DeletionProtection: true }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  it('keeps automated backups (point-in-time restore) for the configured days', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 14 });
    trial.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 7 });
  });

  it('runs the configured PostgreSQL major version and class', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', EngineVersion: '17', DBInstanceClass: 'db.t4g.medium' });
  });

  it('allows the major version upgrade the upgrade runbook makes (RDS refuses it otherwise)', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { AllowMajorVersionUpgrade: true });
  });

  it('enables Performance Insights and exports the PostgreSQL log', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', {
      EnablePerformanceInsights: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
  });

  it('gives the exported logs a retention', () => {
    prod.templates.data.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/rds/instance/slipway-db/postgresql',
      RetentionInDays: 90,
    });
  });

  it('requires TLS through the parameter group', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres17',
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
  });

  it('lives in isolated subnets and is not public', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { PubliclyAccessible: false });
    const { resource } = onlyResource(prod.templates.data, 'AWS::RDS::DBSubnetGroup');
    expect(JSON.stringify(resource.Properties.SubnetIds)).toContain('isolated');
  });

  it('allows a non-default port', () => {
    trial.templates.data.hasResourceProperties('AWS::RDS::DBInstance', { Port: '6543' });
  });

  it('takes its master credentials from a generated secret by dynamic reference', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBInstance', {
      MasterUserPassword: dynamicRef('password'),
      MasterUsername: dynamicRef('username'),
    });
    prod.templates.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'slipway/db/master',
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password', SecretStringTemplate: Match.stringLikeRegexp('"dbname":"slipway"') }),
    });
  });

  it('rotates the master password every 30 days', () => {
    prod.templates.data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  it('gives the log groups of both password-rotation functions the configured retention', () => {
    const functionNames = Object.values(prod.templates.data.findResources('AWS::Serverless::Application')).map((a) => a.Properties.Parameters.functionName).sort();
    expect(functionNames).toHaveLength(2);
    const retained = Object.values(prod.templates.data.findResources('Custom::LogRetention'))
      .filter((r) => r.Properties.RetentionInDays === prod.config.logRetentionDays)
      .map((r) => r.Properties.LogGroupName)
      .sort();
    expect(retained).toEqual(functionNames.map((name) => `/aws/lambda/${name}`));
  });

  it('sets those retentions with a role limited to those log groups and its own', () => {
    const { resource } = onlyResource(prod.templates.data, 'AWS::IAM::Policy', { Roles: [{ Ref: Match.stringLikeRegexp('^DatabaseRotationLogRetentionRole') }] });
    const resources = resource.Properties.PolicyDocument.Statement.flatMap((s: { Resource: string | string[] }) => [s.Resource].flat());
    expect(resources).not.toContain('*');
    expect(resources.every((r: string) => r.startsWith('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/slipway'))).toBe(true);
    const role = onlyResource(prod.templates.data, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('log groups of Lambda functions') });
    expect(role.resource.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('accepts no ingress in its own stack (rules come from the api and one-off tasks)', () => {
    prod.templates.data.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'PostgreSQL: reachable only from the app tasks',
      SecurityGroupIngress: Match.absent(),
    });
  });
});

describe('Redis', () => {
  it('has a primary and a replica with automatic failover and Multi-AZ in production', () => {
    prod.templates.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
    });
  });

  it('has one node without failover in trial', () => {
    trial.templates.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      NumCacheClusters: 1,
      AutomaticFailoverEnabled: false,
      MultiAZEnabled: false,
    });
  });

  it('encrypts in transit (TLS required) and at rest', () => {
    prod.templates.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
    });
  });

  it('gets its AUTH token by dynamic reference to a generated secret', () => {
    prod.templates.data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { AuthToken: dynamicRef('') });
    prod.templates.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'slipway/redis/auth-token',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
  });

  it('lives in the isolated subnets', () => {
    const { resource } = onlyResource(prod.templates.data, 'AWS::ElastiCache::SubnetGroup');
    expect(JSON.stringify(resource.Properties.SubnetIds)).toContain('isolated');
  });

  it('snapshots on removal', () => {
    prod.templates.data.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Snapshot' });
  });
});

describe('attachments bucket', () => {
  const props = () => onlyResource(prod.templates.data, 'AWS::S3::Bucket', { BucketName: 'slipway-attachments-123456789012-eu-west-1' }).resource;

  it('blocks public access', () => {
    expect(props().Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('is encrypted and versioned', () => {
    expect(props().Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(props().Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('expires noncurrent versions', () => {
    expect(props().Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
    );
  });

  it('allows GET, PUT and HEAD from the app origin only', () => {
    expect(props().Properties.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({ AllowedOrigins: ['https://tracker.example.com'], AllowedMethods: ['GET', 'PUT', 'HEAD'] }),
    ]);
  });

  it('logs access to the logs bucket', () => {
    expect(props().Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogsBucket/) },
      LogFilePrefix: 'attachments/',
    });
  });

  it('is retained when the stack goes', () => {
    expect(props().DeletionPolicy).toBe('Retain');
  });

  it('refuses plain HTTP', () => {
    prod.templates.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^AttachmentsBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('app secrets', () => {
  it('generates the session secret and metrics token in Secrets Manager', () => {
    prod.templates.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'slipway/app/session-secret',
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
    prod.templates.data.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'slipway/app/metrics-token',
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
  });

  it('generates the credential-encryption key as 64 hex characters', () => {
    const { resource } = onlyResource(prod.templates.data, 'AWS::SecretsManager::Secret', { Name: 'slipway/app/credentials-encryption-key' });
    const spec = resource.Properties.GenerateSecretString;
    expect(spec).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true, ExcludeUppercase: true, IncludeSpace: false });
    const allowed = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('').filter((c) => !spec.ExcludeCharacters.includes(c));
    expect(allowed.join('')).toBe('abcdef0123456789');
  });

  it('keeps every secret when the stack goes', () => {
    const secrets = prod.templates.data.findResources('AWS::SecretsManager::Secret');
    expect(Object.values(secrets).map((s) => s.DeletionPolicy)).toEqual(Array(Object.keys(secrets).length).fill('Retain'));
  });
});

describe('data stack', () => {
  it('has termination protection in production', () => {
    expect(prod.stacks.data.terminationProtection).toBe(true);
    expect(trial.stacks.data.terminationProtection).toBe(false);
  });
});
