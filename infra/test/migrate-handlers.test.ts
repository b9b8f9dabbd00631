/** The inline Lambda code of the migrate-before-roll custom resource, with mocked AWS clients. */
import { createRequire } from 'node:module';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const onEvent = require('../lambda/migrate-on-event.cjs');
const isComplete = require('../lambda/migrate-is-complete.cjs');
const { RunTaskCommand, DescribeTasksCommand, StopTaskCommand } = require('@aws-sdk/client-ecs');
const { DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');

/** Responses typed loosely: the handlers load the SDK through require. */
const r = (value: object) => value as never;
const ecsOnEvent = mockClient(onEvent.clients.ecs);
const cfn = mockClient(onEvent.clients.cfn);
const ecsIsComplete = mockClient(isComplete.clients.ecs);
afterEach(() => {
  ecsOnEvent.reset();
  cfn.reset();
  ecsIsComplete.reset();
});

const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/slipway/0123456789abcdef';
const props = {
  ImageTag: 'abc123',
  Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/slipway',
  TaskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-migrate:7',
  ContainerName: 'migrate',
  Subnets: ['subnet-1', 'subnet-2'],
  SecurityGroups: ['sg-1'],
  LogGroup: 'slipway-service-MigrateLogs',
  StreamPrefix: 'migrate',
  TimeoutSeconds: '900',
};
const event = (RequestType: string, extra: object = {}) => ({
  RequestType,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/slipway-service/1',
  ResourceProperties: props,
  ...extra,
});

describe('onEvent', () => {
  it('starts migrate up in the private subnets without a public IP on create', async () => {
    ecsOnEvent.on(RunTaskCommand).resolves(r({ tasks: [{ taskArn: TASK }], failures: [] }));
    const result = await onEvent.handler(event('Create'));
    expect(result).toEqual({ PhysicalResourceId: TASK, Data: { TaskArn: TASK, StartedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
    expect(ecsOnEvent.commandCalls(RunTaskCommand)[0].args[0].input).toEqual({
      cluster: props.Cluster,
      taskDefinition: props.TaskDefinition,
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'migrate-before-roll',
      networkConfiguration: { awsvpcConfiguration: { subnets: props.Subnets, securityGroups: props.SecurityGroups, assignPublicIp: 'DISABLED' } },
    });
  });

  it('runs the new release on an update', async () => {
    cfn.on(DescribeStacksCommand).resolves(r({ Stacks: [{ StackName: 's', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] }));
    ecsOnEvent.on(RunTaskCommand).resolves(r({ tasks: [{ taskArn: TASK }] }));
    expect((await onEvent.handler(event('Update', { PhysicalResourceId: 'old' }))).PhysicalResourceId).toBe(TASK);
  });

  it('never runs the old image during a stack rollback', async () => {
    cfn.on(DescribeStacksCommand).resolves(r({ Stacks: [{ StackName: 's', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() }] }));
    const result = await onEvent.handler(event('Update', { PhysicalResourceId: 'old' }));
    expect(result).toEqual({ PhysicalResourceId: 'old', Data: { Skipped: 'rollback' } });
    expect(ecsOnEvent.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it('fails the deploy when the task cannot start', async () => {
    ecsOnEvent.on(RunTaskCommand).resolves(r({ tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] }));
    await expect(onEvent.handler(event('Create'))).rejects.toThrow('could not start migrate for image tag abc123: [{"reason":"RESOURCE:ENI"}]');
  });

  it('does nothing on delete', async () => {
    expect(await onEvent.handler(event('Delete', { PhysicalResourceId: TASK }))).toEqual({ PhysicalResourceId: TASK });
    expect(ecsOnEvent.calls()).toHaveLength(0);
  });
});

describe('isComplete', () => {
  const stopped = (container: object, stoppedReason = 'Essential container in task exited') => ({
    tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', stoppedReason, containers: [{ name: 'migrate', ...container }] }],
  });

  it('keeps waiting while the task runs', async () => {
    ecsIsComplete.on(DescribeTasksCommand).resolves(r({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] }));
    expect(await isComplete.handler(event('Create', { PhysicalResourceId: TASK }))).toEqual({ IsComplete: false });
  });

  it('stops a migration still running a minute before the timeout, and fails saying so', async () => {
    const createdAt = new Date('2026-11-23T10:00:00Z');
    const realNow = isComplete.now;
    isComplete.now = () => createdAt.getTime() + 14 * 60_000;
    try {
      ecsIsComplete.on(DescribeTasksCommand).resolves(r({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', createdAt }] }));
      ecsIsComplete.on(StopTaskCommand).resolves(r({}));
      await expect(isComplete.handler(event('Update', { PhysicalResourceId: TASK }))).rejects.toThrow(
        'migrate up for image tag abc123 did not finish within 15 minutes (MIGRATE_TIMEOUT_MINUTES); the task was stopped: a file that runs in a transaction rolled back, a file without one (a concurrent index build) kept its completed statements and is run again from the start by the next migrate up, which rebuilds an index left invalid. Logs: slipway-service-MigrateLogs stream migrate/migrate/0123456789abcdef. The services stay on the running release.',
      );
      expect(ecsIsComplete.commandCalls(StopTaskCommand)[0].args[0].input).toEqual({
        cluster: props.Cluster,
        task: TASK,
        reason: 'migrate up did not finish within 15 minutes (MIGRATE_TIMEOUT_MINUTES)',
      });
    } finally {
      isComplete.now = realNow;
    }
  });

  it('lets a migration run on before that point', async () => {
    const createdAt = new Date('2026-11-23T10:00:00Z');
    const realNow = isComplete.now;
    isComplete.now = () => createdAt.getTime() + 13 * 60_000;
    try {
      ecsIsComplete.on(DescribeTasksCommand).resolves(r({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING', createdAt }] }));
      expect(await isComplete.handler(event('Update', { PhysicalResourceId: TASK }))).toEqual({ IsComplete: false });
      expect(ecsIsComplete.commandCalls(StopTaskCommand)).toHaveLength(0);
    } finally {
      isComplete.now = realNow;
    }
  });

  it('completes on exit code 0', async () => {
    ecsIsComplete.on(DescribeTasksCommand).resolves(r(stopped({ exitCode: 0 })));
    expect(await isComplete.handler(event('Create', { PhysicalResourceId: TASK }))).toEqual({ IsComplete: true, Data: { ExitCode: '0' } });
    expect(ecsIsComplete.commandCalls(DescribeTasksCommand)[0].args[0].input).toEqual({ cluster: props.Cluster, tasks: [TASK] });
  });

  it('fails with the exit code and where the logs are on a non-zero exit', async () => {
    ecsIsComplete.on(DescribeTasksCommand).resolves(r(stopped({ exitCode: 1 })));
    await expect(isComplete.handler(event('Update', { PhysicalResourceId: TASK }))).rejects.toThrow(
      'migrate up failed for image tag abc123: exit code 1 (Essential container in task exited). Logs: slipway-service-MigrateLogs stream migrate/migrate/0123456789abcdef. The services stay on the running release.',
    );
  });

  it('fails with the stop reason when the container never ran', async () => {
    ecsIsComplete.on(DescribeTasksCommand).resolves(r(stopped({ reason: 'CannotPullContainerError: not found' }, 'Task failed to start')));
    await expect(isComplete.handler(event('Create', { PhysicalResourceId: TASK }))).rejects.toThrow('exit code none (CannotPullContainerError: not found)');
  });

  const missing = () => ecsIsComplete.on(DescribeTasksCommand).resolves(r({ tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] }));
  const startedAt = '2026-01-01T10:00:00.000Z';
  const at = (minutes: number) => Date.parse(startedAt) + minutes * 60_000;
  const withNow = async <T>(ms: number, run: () => Promise<T>) => {
    const realNow = isComplete.now;
    isComplete.now = () => ms;
    try {
      return await run();
    } finally {
      isComplete.now = realNow;
    }
  };

  it('keeps waiting while a just-started task is not visible yet (ECS is eventually consistent)', async () => {
    missing();
    const result = await withNow(at(2), () => isComplete.handler(event('Create', { PhysicalResourceId: TASK, Data: { TaskArn: TASK, StartedAt: startedAt } })));
    expect(result).toEqual({ IsComplete: false });
  });

  it('fails when the task is still not found five minutes after it was started', async () => {
    missing();
    await expect(
      withNow(at(5), () => isComplete.handler(event('Create', { PhysicalResourceId: TASK, Data: { TaskArn: TASK, StartedAt: startedAt } }))),
    ).rejects.toThrow(`migrate task ${TASK} not found 5 minutes after it was started (DescribeTasks: [{"arn":"${TASK}","reason":"MISSING"}])`);
  });

  it('fails at once when it does not know when the task was started', async () => {
    missing();
    await expect(isComplete.handler(event('Create', { PhysicalResourceId: TASK }))).rejects.toThrow(`migrate task ${TASK} not found (DescribeTasks:`);
  });

  it('completes at once for a skipped rollback or a delete', async () => {
    expect(await isComplete.handler(event('Update', { PhysicalResourceId: 'old', Data: { Skipped: 'rollback' } }))).toEqual({ IsComplete: true });
    expect(await isComplete.handler(event('Delete', { PhysicalResourceId: TASK }))).toEqual({ IsComplete: true });
    expect(ecsIsComplete.calls()).toHaveLength(0);
  });
});
