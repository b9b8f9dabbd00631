// Starts `migrate up` with the release being deployed (inline Lambda code, SDK v3 from the runtime).
const { ECSClient, RunTaskCommand } = require('@aws-sdk/client-ecs');
const { CloudFormationClient, DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');

const clients = { ecs: new ECSClient({}), cfn: new CloudFormationClient({}) };

exports.clients = clients;
exports.now = () => Date.now();
exports.handler = async (event) => {
  const p = event.ResourceProperties;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  if (event.RequestType === 'Update') {
    // A stack rollback replays the old properties: never run the old image's migrations.
    const out = await clients.cfn.send(new DescribeStacksCommand({ StackName: event.StackId }));
    const status = out.Stacks?.[0]?.StackStatus ?? '';
    if (status.includes('ROLLBACK')) {
      console.log(`stack is ${status}: not running migrations`);
      return { PhysicalResourceId: event.PhysicalResourceId, Data: { Skipped: 'rollback' } };
    }
  }

  const run = await clients.ecs.send(
    new RunTaskCommand({
      cluster: p.Cluster,
      taskDefinition: p.TaskDefinition,
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'migrate-before-roll',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: p.Subnets, securityGroups: p.SecurityGroups, assignPublicIp: 'DISABLED' },
      },
    }),
  );
  const task = run.tasks?.[0];
  if (!task || run.failures?.length) {
    throw new Error(`could not start migrate for image tag ${p.ImageTag}: ${JSON.stringify(run.failures ?? [])}`);
  }
  console.log(`started ${task.taskArn} for image tag ${p.ImageTag}`);
  // isComplete waits a bounded time for the task to become visible (ECS is eventually consistent).
  return { PhysicalResourceId: task.taskArn, Data: { TaskArn: task.taskArn, StartedAt: new Date(exports.now()).toISOString() } };
};
