/** What every restore-drill flow takes: the operator's options and the injected clients. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SlipwayConfig } from '../../../infra/config.ts';
import type { Reporter } from '../cli.ts';
import type { CommandRunner } from '../runner.ts';
import type { SmokeOptions, SmokeReport } from '../smoke.ts';
import type { Clock } from '../wait.ts';

export interface RestoreDeps {
  readonly rds: RDSClient;
  readonly ecs: ECSClient;
  readonly logs: CloudWatchLogsClient;
  readonly s3: S3Client;
  readonly secrets: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly cfn: CloudFormationClient;
  /** Runs cdk for the restart after a cutover. */
  readonly runner: CommandRunner;
  /** The cloud assembly the restart's stateful guard reads. @default 'cdk.out' */
  readonly assemblyDir?: string;
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly smoke?: (options: SmokeOptions) => Promise<SmokeReport>;
  /** The random part of a drill's names; tests fix it. @default four random letters and digits */
  readonly randomSuffix?: () => string;
}

export interface DrillOptions {
  readonly config: SlipwayConfig;
  readonly restoreTime?: Date;
  readonly instanceClass?: string;
  readonly multiAz: boolean;
  readonly keep: boolean;
  readonly cutover: boolean;
  /**
   * A cutover goes ahead while the api writes (or wrote after the restore point): what it writes
   * until the restart stays on the original only (--accept-newer-writes-lost). @default false
   */
  readonly acceptNewerWritesLost?: boolean;
  readonly skipRowCounts: boolean;
  readonly maxRowDrift: number;
  readonly dryRun: boolean;
  readonly smokeToken?: string;
  readonly timeouts: { readonly availableMs: number; readonly validateMs: number; readonly stableMs: number; readonly smokeMs: number };
}
