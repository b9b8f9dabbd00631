// Polls the migrate task until it stops; complete only on exit code 0 (inline Lambda code).
const { ECSClient, DescribeTasksCommand } = require('@aws-sdk/client-ecs');

const clients = { ecs: new ECSClient({}) };

exports.clients = clients;
exports.handler = async (event) => {
  if (event.RequestType === 'Delete' || event.Data?.Skipped) return { IsComplete: true };
  const p = event.ResourceProperties;
  const taskArn = event.PhysicalResourceId;
  const out = await clients.ecs.send(new DescribeTasksCommand({ cluster: p.Cluster, tasks: [taskArn] }));
  const task = out.tasks?.[0];
  if (!task) throw new Error(`migrate task ${taskArn} not found`);
  if (task.lastStatus !== 'STOPPED') {
    console.log(`${taskArn} is ${task.lastStatus}`);
    return { IsComplete: false };
  }
  const container = (task.containers ?? []).find((c) => c.name === p.ContainerName);
  if (container?.exitCode === 0) return { IsComplete: true, Data: { ExitCode: '0' } };

  const taskId = taskArn.split('/').pop();
  const why = container?.reason || task.stoppedReason || 'no reason given';
  throw new Error(
    `migrate up failed for image tag ${p.ImageTag}: exit code ${container?.exitCode ?? 'none'} (${why}). ` +
      `Logs: ${p.LogGroup} stream ${p.StreamPrefix}/${p.ContainerName}/${taskId}. The services stay on the running release.`,
  );
};
