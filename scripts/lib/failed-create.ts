/**
 * A first deploy whose stack creation failed leaves that stack in ROLLBACK_COMPLETE, which
 * CloudFormation will not update; `cdk deploy` deletes such a stack before creating it again
 * (aws-cdk: "previously failed creation"), and termination protection makes that delete fail
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-protect-stacks.html;
 * protection can be switched off in any state but DELETE_IN_PROGRESS and DELETE_COMPLETE).
 * Protection stays on from the first create (the stack props): `cdk deploy` sets it to what the
 * app says on every deploy, so switching it on only later would be undone by the next one.
 * Deploy clears the way instead: a stack that never finished creating holds nothing but what
 * its rollback retained, so deploy switches its protection off and deletes it. A rollback keeps
 * the resources with DeletionPolicy Retain (DELETE_SKIPPED; only RetainExceptOnCreate would not,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html),
 * and their fixed names would collide with the new create: deploy then stops and names them,
 * and preflight prints the command that clears each.
 */
import { DeleteStackCommand, ListStackResourcesCommand, UpdateTerminationProtectionCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { stackNames } from '../../infra/outputs.ts';
import type { Reporter } from './cli.ts';
import { describeStack } from './stacks.ts';
import { waitFor, type Clock } from './wait.ts';

/** What a failed first create leaves: a stack CloudFormation will only delete. */
const FAILED_CREATE = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED']);

export interface FailedCreate {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly reason?: string;
  readonly terminationProtection: boolean;
}

export async function findFailedCreates(cfn: CloudFormationClient, appName: string): Promise<FailedCreate[]> {
  const found: FailedCreate[] = [];
  for (const stackName of Object.values(stackNames(appName))) {
    const stack: Stack | undefined = await describeStack(cfn, stackName);
    if (!stack?.StackStatus || !FAILED_CREATE.has(stack.StackStatus)) continue;
    found.push({ stackName, stackId: stack.StackId!, status: stack.StackStatus, reason: stack.StackStatusReason, terminationProtection: Boolean(stack.EnableTerminationProtection) });
  }
  return found;
}

/** The AWS CLI commands that do what deploy does for a failed create. */
export function clearingCommands(f: FailedCreate, region: string): string[] {
  return [
    ...(f.terminationProtection ? [`aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name ${f.stackName} --region ${region}`] : []),
    `aws cloudformation delete-stack --stack-name ${f.stackName} --region ${region}`,
  ];
}

/** Resources the failed create's rollback kept (DeletionPolicy Retain): they outlive the stack. */
async function retainedByRollback(cfn: CloudFormationClient, stackId: string): Promise<string[]> {
  const kept: string[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: token }));
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceStatus === 'DELETE_SKIPPED' && r.PhysicalResourceId) kept.push(`${r.ResourceType} ${r.PhysicalResourceId}`);
    }
    token = page.NextToken;
  } while (token);
  return kept;
}

export interface ClearDeps {
  readonly cfn: CloudFormationClient;
  readonly clock: Clock;
  readonly reporter: Reporter;
}

/**
 * Deletes the app's stacks whose first create failed, protection first, so `cdk deploy` can
 * create them again. A dry run only says so. Throws (with the fix) when a stack is
 * ROLLBACK_FAILED, when CloudFormation does not delete it, or when its rollback kept resources
 * whose names the new create needs.
 */
export async function clearFailedCreates(deps: ClearDeps, o: { appName: string; region: string; dryRun: boolean; timeoutMs: number }): Promise<string[]> {
  const { cfn, reporter, clock } = deps;
  const cleared: string[] = [];
  for (const f of await findFailedCreates(cfn, o.appName)) {
    const why = `${f.stackName} is ${f.status} from a first create that failed${f.reason ? ` (${f.reason})` : ''}`;
    if (f.status === 'ROLLBACK_FAILED') {
      throw new Error(`${why}, and CloudFormation could not remove everything it created. Fix: read its events (aws cloudformation describe-stack-events --stack-name ${f.stackName} --region ${o.region}), remove what they name, then ${clearingCommands(f, o.region).join(' && ')} and deploy again`);
    }
    if (o.dryRun) {
      reporter.step('warn', 'failed first create', `${why}: a deploy deletes it first${f.terminationProtection ? ' (switching its termination protection off)' : ''}, then creates it again`);
      continue;
    }
    reporter.step('info', 'failed first create', `${why}: it never held data; deleting it${f.terminationProtection ? ' (termination protection off first)' : ''} so cdk deploy can create it again`);
    const kept = await retainedByRollback(cfn, f.stackId);
    if (f.terminationProtection) await cfn.send(new UpdateTerminationProtectionCommand({ StackName: f.stackId, EnableTerminationProtection: false }));
    await cfn.send(new DeleteStackCommand({ StackName: f.stackId }));
    await waitFor({
      what: `deletion of ${f.stackName}`,
      clock,
      timeoutMs: o.timeoutMs,
      intervalMs: 10_000,
      progress: (l) => reporter.line(l),
      poll: async () => {
        const status = (await describeStack(cfn, f.stackId))?.StackStatus ?? 'DELETE_COMPLETE';
        if (status === 'DELETE_COMPLETE') return { state: 'done', status, value: undefined };
        if (status === 'DELETE_FAILED') return { state: 'failed', status, reason: `DELETE_FAILED. Fix: ${clearingCommands(f, o.region).join(' && ')} after removing what its events name` };
        return { state: 'pending', status };
      },
    });
    reporter.step('pass', 'failed first create', `${f.stackName} deleted`);
    cleared.push(f.stackName);
    if (kept.length) {
      throw new Error(`${f.stackName}'s rollback kept ${kept.length} resource(s) whose names the new create needs: ${kept.join('; ')}. Fix: they were made by the failed attempt; npm run preflight prints the command that clears each, then run npm run deploy again`);
    }
  }
  return cleared;
}
