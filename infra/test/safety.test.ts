import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecretLiterals } from '../policies/secret-literals.ts';
import { statefulLogicalIds, unprotectedDataResources, type TemplateJson } from '../policies/stateful-resources.ts';
import { synthApp, type StackKey, type SynthesizedApp } from './support.ts';

/**
 * Logical ids of every stateful resource. A change here means CloudFormation would replace
 * (and lose) a database, cache, bucket, secret, repository, key or log group: never edit this list to
 * make a refactor pass; keep the construct ids instead.
 */
const PINNED: Record<StackKey, string[]> = {
  network: ['NetworkFlowLogs2BEC3212'],
  data: [
    'AccessLogsBucketCD784A59',
    'AppSecretsCredentialsEncryptionKeyDE22B80C',
    'AppSecretsMetricsToken3E1355FB',
    'AppSecretsSessionSecretB25E20F4',
    'AttachmentsBucket134755D7',
    // The api's own login (DB_APP_LOGIN); the master secret is DatabaseSecret.
    'DatabaseAppSecret2E50FD00',
    'DatabaseInstanceAA8A5FDE',
    'DatabaseParametersB8AC9B07',
    'DatabasePostgresqlLogs0EEFD61B',
    'DatabaseSecret3B817195',
    'DatabaseSubnetGroup7D60F180',
    'DatabaseUpgradeLogsA548C373',
    'RedisAuthToken9E34F6A5',
    'RedisReplicationGroup3B65AB4E',
    'RedisSubnetGroup2387CBFF',
  ],
  registry: ['RegistryRepositoryC6C96DCD'],
  edge: [],
  service: [
    'ApiLogsCD139AD4',
    'ExecLogs6390DA49',
    'GreenGateLogs00065D4E',
    'MigrateBeforeRollIsCompleteLogs937DACEC',
    'MigrateBeforeRollOnEventLogs9B088939',
    'MigrateBeforeRollProviderLogs81EB4ACF',
    'MigrateBeforeRollWaiterLogs42CF558E',
    'MigrateLogsBDEC375F',
    'WafLogsF9F75746',
    'WebLogsD9759FC4',
  ],
  observability: ['AlarmTopicKeyBA1A4AA7'],
};

let prod: SynthesizedApp;
let trial: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  trial = synthApp({ DEPLOY_PROFILE: 'trial', DB_ENGINE_VERSION: '16', CPU_ARCHITECTURE: 'X86_64' });
});
afterAll(() => {
  prod?.cleanup();
  trial?.cleanup();
});

const json = (app: SynthesizedApp, key: StackKey) => app.templates[key].toJSON() as TemplateJson;
const KEYS = Object.keys(PINNED) as StackKey[];

describe('stateful resources', () => {
  it.each(KEYS)('keep their logical ids in the %s stack', (key) => {
    expect(statefulLogicalIds(json(prod, key))).toEqual(PINNED[key]);
  });

  it.each(KEYS)('keep the same logical ids when the %s stack switches profile, version or architecture', (key) => {
    expect(statefulLogicalIds(json(trial, key))).toEqual(PINNED[key]);
  });

  it.each(KEYS)('keep their data on deletion and replacement in the %s stack', (key) => {
    expect(unprotectedDataResources(json(prod, key))).toEqual([]);
    expect(unprotectedDataResources(json(trial, key))).toEqual([]);
  });
});

describe('secret literals', () => {
  it.each(KEYS)('none in the synthesized %s template', (key) => {
    expect(findSecretLiterals(prod.templates[key].toJSON())).toEqual([]);
    expect(findSecretLiterals(trial.templates[key].toJSON())).toEqual([]);
  });
});

describe('statefulLogicalIds', () => {
  it('lists stateful resources, sorted', () => {
    expect(statefulLogicalIds({ Resources: { B: { Type: 'AWS::S3::Bucket' }, A: { Type: 'AWS::RDS::DBInstance' }, C: { Type: 'AWS::SNS::Topic' } } })).toEqual(['A', 'B']);
  });

  it('is empty for a stateless template', () => {
    expect(statefulLogicalIds({ Resources: { T: { Type: 'AWS::SNS::Topic' } } })).toEqual([]);
  });
});

describe('unprotectedDataResources', () => {
  it('accepts snapshot and retain policies', () => {
    expect(unprotectedDataResources({ Resources: {
      Db: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' },
      Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
    } })).toEqual([]);
  });

  it('flags a bucket that would be deleted', () => {
    expect(unprotectedDataResources({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } })).toEqual([
      'Bucket (AWS::S3::Bucket: DeletionPolicy Delete, UpdateReplacePolicy Delete)',
    ]);
  });

  it('flags a secret retained on delete but dropped on replacement', () => {
    expect(unprotectedDataResources({ Resources: { S: { Type: 'AWS::SecretsManager::Secret', DeletionPolicy: 'Retain' } } })).toHaveLength(1);
  });
});

describe('findSecretLiterals', () => {
  const db = (password: unknown) => ({ Resources: { Db: { Type: 'AWS::RDS::DBInstance', Properties: { MasterUserPassword: password } } } });

  it('accepts a dynamic reference', () => {
    expect(findSecretLiterals(db('{{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:x:SecretString:password::}}'))).toEqual([]);
  });

  it('accepts a dynamic reference assembled with Fn::Join', () => {
    expect(findSecretLiterals(db({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'S' }, ':SecretString:password::}}']] }))).toEqual([]);
  });

  it('accepts a Ref', () => {
    expect(findSecretLiterals(db({ Ref: 'PasswordParameter' }))).toEqual([]);
  });

  it('flags a literal password', () => {
    expect(findSecretLiterals(db('hunter2hunter2'))).toEqual([
      { path: 'Resources.Db.Properties.MasterUserPassword', reason: 'MasterUserPassword is a literal string' },
    ]);
  });

  it('accepts ECS secrets by ARN and plain settings as environment', () => {
    const container = {
      Environment: [{ Name: 'DB_SSL', Value: 'require' }],
      Secrets: [{ Name: 'DB_PASSWORD', ValueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db:password::' }],
    };
    expect(findSecretLiterals({ Resources: { T: { Properties: { ContainerDefinitions: [container] } } } })).toEqual([]);
  });

  it('flags a secret in a container environment variable', () => {
    const container = { Environment: [{ Name: 'SESSION_SECRET', Value: 'abcdefghijklmnopqrstuvwxyz0123456789' }] };
    expect(findSecretLiterals({ Resources: { T: { Properties: { ContainerDefinitions: [container] } } } })).toEqual([
      { path: 'Resources.T.Properties.ContainerDefinitions[0].Environment[0].Value', reason: 'SESSION_SECRET is a literal string' },
    ]);
  });

  it('flags an AWS access key anywhere', () => {
    expect(findSecretLiterals({ Outputs: { X: { Value: 'AKIAABCDEFGHIJKLMNOP' } } })[0].reason).toBe('looks like a AWS access key id');
  });

  it('flags a private key', () => {
    expect(findSecretLiterals({ Resources: { K: { Properties: { Body: '-----BEGIN RSA PRIVATE KEY-----\nabc' } } } })[0].reason).toBe('looks like a private key');
  });

  it('flags a URL with a password', () => {
    expect(findSecretLiterals({ Resources: { E: { Properties: { Url: 'postgres://app:pa55word@db:5432/app' } } } })[0].reason).toBe('looks like a URL with a password');
  });

  it('accepts generation settings of a secret', () => {
    expect(findSecretLiterals({ Resources: { S: { Properties: { GenerateSecretString: { PasswordLength: 64, ExcludeCharacters: 'ghij' } } } } })).toEqual([]);
  });
});
