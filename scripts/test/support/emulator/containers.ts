/**
 * The container runtime moto lacks: when RunTask succeeds, the task's container command is
 * run for real (the image's bundle, `node slipway.mjs migrate status` / `stats`) against the database
 * engine of the RDS instance its DB_HOST names, its output is written to the task's
 * CloudWatch Logs stream as the awslogs driver would, and the task is stopped. moto reports
 * exit code 0 for every container, so DescribeTasks answers get the real exit code filled in.
 */
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTaskDefinitionCommand, ECSClient, StopTaskCommand, type KeyValuePair } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn } from 'node:child_process';
import { NODE_FLAGS } from '../../../../app/node-flags.ts';
import { emulatorClientConfig, emulatorEnv } from '../../../../test/support/moto.ts';
import type { MotoProxy } from '../../../../test/support/moto-proxy.ts';
import type { Databases } from './databases.ts';

interface Ran {
  readonly exitCode: number;
  readonly command: string;
  readonly dbHost?: string;
}

/** ECS's secret reference: `<secret arn>:<json key>:<version stage>:<version id>`. */
function splitValueFrom(valueFrom: string): { secretId: string; jsonKey?: string } {
  const parts = valueFrom.split(':');
  return { secretId: parts.slice(0, 7).join(':'), jsonKey: parts[7] || undefined };
}

export class Containers {
  /** Every task run, by task ARN, with the real exit code. */
  readonly ran = new Map<string, Ran>();
  private readonly ecs: ECSClient;
  private readonly logs: CloudWatchLogsClient;
  private readonly secrets: SecretsManagerClient;

  constructor(
    private readonly motoEndpoint: string,
    proxy: MotoProxy,
    private readonly databases: Databases,
    /** The app bundle the image runs (app/build.ts). */
    private readonly bundle: string,
  ) {
    const config = emulatorClientConfig(motoEndpoint);
    this.ecs = new ECSClient(config);
    this.logs = new CloudWatchLogsClient(config);
    this.secrets = new SecretsManagerClient(config);
    proxy.on('ecs', 'RunTask', async ({ input, output }) => {
      const overrides = (input.overrides as { containerOverrides?: Array<{ name?: string; command?: string[] }> } | undefined)?.containerOverrides ?? [];
      for (const task of (output?.tasks as Array<{ taskArn: string; clusterArn: string; taskDefinitionArn: string }>) ?? []) {
        await this.run(task, overrides);
      }
    });
    proxy.on('ecs', 'DescribeTasks', ({ output }) => {
      const tasks = (output?.tasks as Array<{ taskArn: string; containers?: Array<{ exitCode?: number }> }>) ?? [];
      for (const task of tasks) {
        const ran = this.ran.get(task.taskArn);
        if (ran) for (const c of task.containers ?? []) c.exitCode = ran.exitCode;
      }
      return output;
    });
  }

  /** Runs the image's command like the container would: its node flags and environment, no checkout. */
  runImage(command: readonly string[], env: Record<string, string | undefined>): { exited: Promise<number>; output(): string } {
    const child = spawn(process.execPath, [...NODE_FLAGS, this.bundle, ...command], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    return { exited: new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1))), output: () => output };
  }

  private async resolveSecret(valueFrom: string): Promise<string> {
    const { secretId, jsonKey } = splitValueFrom(valueFrom);
    const value = (await this.secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';
    return jsonKey ? String((JSON.parse(value) as Record<string, unknown>)[jsonKey] ?? '') : value;
  }

  private async run(task: { taskArn: string; clusterArn: string; taskDefinitionArn: string }, overrides: Array<{ name?: string; command?: string[] }>): Promise<void> {
    const td = (await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn }))).taskDefinition!;
    const container = td.containerDefinitions![0]!;
    const command = overrides.find((o) => o.name === container.name)?.command ?? container.command ?? [];
    const env: Record<string, string | undefined> = Object.fromEntries((container.environment ?? []).map((e: KeyValuePair) => [e.name!, e.value!]));
    for (const s of container.secrets ?? []) env[s.name!] = await this.resolveSecret(s.valueFrom!);
    const dbHost = env.DB_HOST;
    const instance = dbHost?.split('.')[0];
    if (instance && this.databases.has(instance)) {
      const target = this.databases.connection(instance);
      // Only where the engine listens: users and passwords are the instance's own, as in RDS.
      Object.assign(env, { DB_HOST: target.host, DB_PORT: String(target.port), DB_NAME: target.database });
    } else {
      // A host no engine serves: refuse on loopback instead of resolving an AWS name.
      Object.assign(env, { DB_HOST: '127.0.0.1', DB_PORT: '9' });
    }
    const child = this.runImage(command, {
      ...env,
      // The loopback engine has no TLS; the image's CA bundle is not in this checkout.
      DB_SSL: 'disable',
      DB_SSL_CA_FILE: undefined,
      // A refused sign-in fails in seconds, not after the image's 60 s of retries.
      MIGRATE_CONNECT_TIMEOUT_SECONDS: '2',
      SLIPWAY_MIGRATIONS_DIR: undefined,
      LOG_LEVEL: env.LOG_LEVEL,
      // DB_SECRET_ARN makes the app read its password from Secrets Manager: the emulator's.
      ...emulatorEnv(this.motoEndpoint),
    });
    const exitCode = await child.exited;
    this.ran.set(task.taskArn, { exitCode, command: command.join(' '), dbHost });
    const options = container.logConfiguration?.options ?? {};
    const group = options['awslogs-group'];
    const prefix = options['awslogs-stream-prefix'];
    const taskId = task.taskArn.split('/').pop()!;
    const lines = child.output().split('\n').filter((l: string) => l.trim());
    if (group && prefix && lines.length) {
      const stream = `${prefix}/${container.name}/${taskId}`;
      await this.logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
      const now = Date.now();
      await this.logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: lines.map((message) => ({ message, timestamp: now })) }));
    }
    await this.ecs.send(new StopTaskCommand({ cluster: task.clusterArn, task: task.taskArn, reason: `Essential container in task exited (${exitCode})` }));
  }
}
