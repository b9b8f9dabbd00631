/**
 * Validates a restored database from inside the VPC: a one-off ECS task with the app image
 * runs `migrate status` and `stats` against it, and the same against the source, and the
 * answers are compared. The task definition is a copy of the migrate task whose DB_HOST/DB_PORT
 * point at the restored instance (plain values, so they cannot be shadowed by the secret).
 */
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { StackOutputs } from '../stacks.ts';
import { waitFor, type Clock } from '../wait.ts';

export interface ProbeTarget {
  readonly cluster: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly containerName: string;
}

/** Where the one-off tasks run: the migrate task's cluster, subnets and security group. */
export async function probeTarget(outputs: StackOutputs): Promise<ProbeTarget> {
  return {
    cluster: await outputs.get('clusterName'),
    containerName: await outputs.get('migrateContainerName'),
    subnets: await outputs.list('taskSubnetIds'),
    securityGroups: [await outputs.get('taskSecurityGroupId')],
  };
}

export interface ProbeResult {
  readonly exitCode: number | undefined;
  readonly stoppedReason?: string;
  /** Parsed JSON log lines (the app logs JSON). */
  readonly records: ReadonlyArray<Record<string, unknown>>;
}

export interface ProbeDeps {
  readonly ecs: ECSClient;
  readonly logs: CloudWatchLogsClient;
  readonly clock: Clock;
  readonly progress?: (line: string) => void;
}

/** Registers `<family>-restore-drill` pointing DB_HOST/DB_PORT at the restored endpoint. */
export async function registerDrillTaskDefinition(
  ecs: ECSClient,
  migrateFamily: string,
  containerName: string,
  endpoint: { host: string; port: number },
  drillId: string,
): Promise<{ arn: string; source: TaskDefinition }> {
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: migrateFamily }));
  const td = described.taskDefinition;
  if (!td?.containerDefinitions) throw new Error(`task definition ${migrateFamily} not found`);
  const override = new Set(['DB_HOST', 'DB_PORT', 'DATABASE_URL']);
  const containers = td.containerDefinitions.map((c) =>
    c.name !== containerName
      ? c
      : {
          ...c,
          secrets: (c.secrets ?? []).filter((s) => !override.has(s.name ?? '')),
          environment: [
            ...(c.environment ?? []).filter((e) => !override.has(e.name ?? '')),
            { name: 'DB_HOST', value: endpoint.host },
            { name: 'DB_PORT', value: String(endpoint.port) },
          ],
        },
  );
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${migrateFamily}-restore-drill`,
      taskRoleArn: td.taskRoleArn,
      executionRoleArn: td.executionRoleArn,
      networkMode: td.networkMode,
      requiresCompatibilities: td.requiresCompatibilities,
      cpu: td.cpu,
      memory: td.memory,
      runtimePlatform: td.runtimePlatform,
      containerDefinitions: containers,
      tags: [{ key: 'slipway:restore-drill', value: drillId }],
    }),
  );
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new Error('ECS did not return the registered drill task definition');
  return { arn, source: td };
}

export async function deregisterDrillTaskDefinition(ecs: ECSClient, arn: string): Promise<void> {
  if (!/:task-definition\/[^:]+-restore-drill:\d+$/.test(arn)) throw new Error(`refusing to deregister ${arn}: not a restore-drill task definition`);
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
}

function logLocation(td: TaskDefinition, containerName: string, taskId: string): { group: string; stream: string } | undefined {
  const c = td.containerDefinitions?.find((d) => d.name === containerName);
  const options = c?.logConfiguration?.options ?? {};
  const group = options['awslogs-group'];
  const prefix = options['awslogs-stream-prefix'];
  return group && prefix ? { group, stream: `${prefix}/${containerName}/${taskId}` } : undefined;
}

/** Runs the container with `command`, waits for it to stop, returns its exit code and JSON log lines. */
export async function runProbe(
  deps: ProbeDeps,
  target: ProbeTarget,
  taskDefinition: string,
  logsFrom: TaskDefinition,
  command: readonly string[],
  timeoutMs: number,
  /** What the task is, for messages. */
  what = 'validation task',
): Promise<ProbeResult> {
  const started = await deps.ecs.send(
    new RunTaskCommand({
      cluster: target.cluster,
      taskDefinition,
      launchType: 'FARGATE',
      count: 1,
      networkConfiguration: {
        awsvpcConfiguration: { subnets: [...target.subnets], securityGroups: [...target.securityGroups], assignPublicIp: 'DISABLED' },
      },
      overrides: { containerOverrides: [{ name: target.containerName, command: [...command] }] },
      startedBy: 'slipway-restore-drill',
    }),
  );
  const taskArn = started.tasks?.[0]?.taskArn;
  if (!taskArn) throw new Error(`ECS could not start the ${what}: ${(started.failures ?? []).map((f) => f.reason).join(', ') || 'no reason given'}`);
  const stopped = await waitFor<Task>({
    what: `${what} ${command.join(' ')}`,
    timeoutMs,
    intervalMs: 10_000,
    clock: deps.clock,
    progress: deps.progress,
    poll: async () => {
      const out = await deps.ecs.send(new DescribeTasksCommand({ cluster: target.cluster, tasks: [taskArn] }));
      const task = out.tasks?.[0];
      const status = task?.lastStatus ?? 'UNKNOWN';
      return status === 'STOPPED' ? { state: 'done', status, value: task! } : { state: 'pending', status };
    },
  });
  const container = stopped.containers?.find((c) => c.name === target.containerName);
  const taskId = taskArn.split('/').pop() ?? taskArn;
  const where = logLocation(logsFrom, target.containerName, taskId);
  const records: Array<Record<string, unknown>> = [];
  // Log delivery lags the task's stop by a few seconds: read again until something arrives.
  for (let attempt = 0; where && records.length === 0 && attempt < 4; attempt += 1) {
    if (attempt > 0) await deps.clock.sleep(5_000);
    let events: Array<{ message?: string }> = [];
    try {
      const out = await deps.logs.send(new GetLogEventsCommand({ logGroupName: where.group, logStreamName: where.stream, startFromHead: true }));
      events = out.events ?? [];
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    for (const e of events) {
      try {
        const parsed = JSON.parse(e.message ?? '') as unknown;
        if (parsed && typeof parsed === 'object') records.push(parsed as Record<string, unknown>);
      } catch {
        // not a JSON line
      }
    }
  }
  return { exitCode: container?.exitCode, stoppedReason: stopped.stoppedReason ?? container?.reason, records };
}
