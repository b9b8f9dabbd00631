/**
 * What a kind of left-behind resource must say: why the kit keeps it, how to tell whether it
 * still exists, how teardown removes it and the exact command an operator can run instead.
 * The kinds themselves are in kinds-data.ts and kinds-config.ts, listed in catalogue.ts.
 */
import type { ACMClient } from '@aws-sdk/client-acm';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SESv2Client } from '@aws-sdk/client-sesv2';

export interface LeftoverClients {
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
  readonly ecr: ECRClient;
  readonly kms: KMSClient;
  readonly logs: CloudWatchLogsClient;
  readonly rds: RDSClient;
  readonly elasticache: ElastiCacheClient;
  readonly acm: ACMClient;
  readonly ses: SESv2Client;
}

/** `scheduled`: AWS deletes it later by itself (a secret's recovery window, a key's waiting period). */
export type Presence =
  | { readonly state: 'exists' }
  | { readonly state: 'scheduled'; readonly detail: string }
  | { readonly state: 'gone' };

export interface ResourceKind {
  /** The CloudFormation type, or `RDS::DBSnapshot` / `ElastiCache::Snapshot` for final snapshots. */
  readonly type: string;
  /** e.g. "bucket". */
  readonly label: string;
  /** Why the kit keeps it when its stack is deleted. */
  readonly why: string;
  /** The template property that fixes its name: a leftover with it makes a new deploy of the same APP_NAME fail. */
  readonly nameProperty?: string;
  /** Whether a resource scheduled for deletion still counts as left over (a secret's name stays taken until then). */
  readonly scheduledIsLeftover: boolean;
  presence(id: string, clients: LeftoverClients): Promise<Presence>;
  remove(id: string, clients: LeftoverClients): Promise<void>;
  /** The AWS CLI commands that remove it, in order. */
  commands(id: string, region: string): string[];
  /** Said once with the commands, e.g. that a step repeats. */
  readonly commandNote?: string;
}

export { CACHE_SNAPSHOT, RDS_SNAPSHOT, sh } from './remove-commands.ts';

/** The error's name, or its code for the few services that put it there. */
export const errorName = (e: unknown): string => (e as { name?: string; Code?: string })?.name ?? (e as { Code?: string })?.Code ?? '';

/** Runs `read`; an error whose name matches `gone` means the resource does not exist. */
export async function presenceOf(read: () => Promise<Presence>, gone: RegExp): Promise<Presence> {
  try {
    return await read();
  } catch (error) {
    if (gone.test(errorName(error))) return { state: 'gone' };
    throw error;
  }
}

/** Exists when `call` answers; gone when it fails with an error named like `gone`. */
export function existsUnless(call: () => Promise<unknown>, gone: RegExp): Promise<Presence> {
  return presenceOf(async () => {
    await call();
    return { state: 'exists' };
  }, gone);
}

/** Runs `remove`; an error whose name matches `gone` means it was already removed. */
export async function removing(remove: () => Promise<unknown>, gone: RegExp): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!gone.test(errorName(error))) throw error;
  }
}
