// Polls the migrate task until it stops; complete only on exit code 0 (inline Lambda code).
// A task still running near the deadline is stopped, so a hung migration does not outlive the
// failed deploy (each migration file is one transaction: stopping it rolls that file back).
const { ECSClient, DescribeTasksCommand, StopTaskCommand } = require('@aws-sdk/client-ecs');

// Act a minute before the provider framework gives up, while this handler still runs.
const STOP_MARGIN_MS = 60_000;
// DescribeTasks may not return a task RunTask just started: ECS is eventually consistent, and
// the RunTask reference says to retry DescribeTasks with backoff for up to five minutes
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
const MISSING_TASK_GRACE_MS = 5 * 60_000;

const clients = { ecs: new ECSClient({}) };

exports.clients = clients;
exports.now = () => Date.now();
exports.handler = async (event) => {
  if (event.RequestType === 'Delete' || event.Data?.Skipped) return { IsComplete: true };
  const p = event.ResourceProperties;
  const taskArn = event.PhysicalResourceId;
  const out = await clients.ecs.send(new DescribeTasksCommand({ cluster: p.Cluster, tasks: [taskArn] }));
  const task = out.tasks?.[0];
  if (!task) {
    const startedAt = Date.parse(event.Data?.StartedAt ?? '');
    const waitedMs = exports.now() - startedAt;
    if (waitedMs < MISSING_TASK_GRACE_MS) {
      console.log(`${taskArn} is not visible yet (${Math.round(waitedMs / 1000)} s after RunTask)`);
      return { IsComplete: false };
    }
    throw new Error(`migrate task ${taskArn} not found ${Number.isNaN(waitedMs) ? '' : `${Math.round(waitedMs / 60_000)} minutes after it was started `}(DescribeTasks: ${JSON.stringify(out.failures ?? [])}). The services stay on the running release.`);
  }
  const taskId = taskArn.split('/').pop();
  const logs = `Logs: ${p.LogGroup} stream ${p.StreamPrefix}/${p.ContainerName}/${taskId}.`;
  if (task.lastStatus !== 'STOPPED') {
    const startedAt = task.createdAt ? new Date(task.createdAt).getTime() : undefined;
    const timeoutMs = Number(p.TimeoutSeconds) * 1000;
    if (startedAt !== undefined && timeoutMs > 0 && exports.now() - startedAt >= timeoutMs - STOP_MARGIN_MS) {
      const minutes = Math.round(timeoutMs / 60_000);
      await clients.ecs.send(
        new StopTaskCommand({ cluster: p.Cluster, task: taskArn, reason: `migrate up did not finish within ${minutes} minutes (MIGRATE_TIMEOUT_MINUTES)` }),
      );
      throw new Error(
        `migrate up for image tag ${p.ImageTag} did not finish within ${minutes} minutes (MIGRATE_TIMEOUT_MINUTES); the task was stopped: a file that runs in a transaction rolled back, a file without one (a concurrent index build) kept its completed statements and is run again from the start by the next migrate up, which rebuilds an index left invalid. ${logs} The services stay on the running release.`,
      );
    }
    console.log(`${taskArn} is ${task.lastStatus}`);
    return { IsComplete: false };
  }
  const container = (task.containers ?? []).find((c) => c.name === p.ContainerName);
  if (container?.exitCode === 0) return { IsComplete: true, Data: { ExitCode: '0' } };

  const why = container?.reason || task.stoppedReason || 'no reason given';
  throw new Error(
    `migrate up failed for image tag ${p.ImageTag}: exit code ${container?.exitCode ?? 'none'} (${why}). ` +
      `${logs} The services stay on the running release.`,
  );
};
