/** The AWS SDK v3 clients the scripts use; flows take them injected, main() makes real ones. */
import { ACMClient } from '@aws-sdk/client-acm';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';

export interface AwsClients {
  readonly acm: ACMClient;
  readonly cfn: CloudFormationClient;
  readonly ecr: ECRClient;
  readonly ecs: ECSClient;
  readonly elasticache: ElastiCacheClient;
  readonly iam: IAMClient;
  readonly kms: KMSClient;
  readonly logs: CloudWatchLogsClient;
  readonly rds: RDSClient;
  readonly route53: Route53Client;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
  readonly quotas: ServiceQuotasClient;
  readonly ses: SESv2Client;
  readonly sns: SNSClient;
  readonly ssm: SSMClient;
  readonly sts: STSClient;
}

/** Settings every client shares; main() gives only the region (endpoint and credentials come from the SDK's chain). */
export interface ClientSettings {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function makeClients(region: string, settings: Partial<ClientSettings> = {}): AwsClients {
  const c = { ...settings, region };
  return {
    acm: new ACMClient(c),
    cfn: new CloudFormationClient(c),
    ecr: new ECRClient(c),
    ecs: new ECSClient(c),
    elasticache: new ElastiCacheClient(c),
    iam: new IAMClient(c),
    kms: new KMSClient(c),
    logs: new CloudWatchLogsClient(c),
    rds: new RDSClient(c),
    route53: new Route53Client(c),
    s3: new S3Client(c),
    secrets: new SecretsManagerClient(c),
    quotas: new ServiceQuotasClient(c),
    ses: new SESv2Client(c),
    sns: new SNSClient(c),
    ssm: new SSMClient(c),
    sts: new STSClient(c),
  };
}

/** A generated secret's value: the plain string, or one field of a JSON secret. */
export async function readSecret(secrets: SecretsManagerClient, secretId: string, field?: string): Promise<string> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  const value = out.SecretString ?? '';
  if (!field) return value.trim();
  const parsed = JSON.parse(value) as Record<string, unknown>;
  return String(parsed[field] ?? '');
}
