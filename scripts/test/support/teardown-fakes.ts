/** SDK clients for the teardown flows in tests (aws-sdk-client-mock answers for them). */
import { ACMClient } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { LeftoverClients } from '../../lib/teardown/kinds.ts';

/** The clients a leftover check needs beyond those preflight already has. */
export function leftoverClients(region: string): Omit<LeftoverClients, 'secrets' | 'acm' | 'ses'> {
  return {
    s3: new S3Client({ region }),
    ecr: new ECRClient({ region }),
    kms: new KMSClient({ region }),
    logs: new CloudWatchLogsClient({ region }),
    rds: new RDSClient({ region }),
    elasticache: new ElastiCacheClient({ region }),
  };
}

/** Every client the teardown flow takes. */
export function teardownClients(region: string): LeftoverClients {
  return { ...leftoverClients(region), secrets: new SecretsManagerClient({ region }), acm: new ACMClient({ region }), ses: new SESv2Client({ region }) };
}
