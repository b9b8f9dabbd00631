/**
 * Reads what the stacks publish (outputs, the image-tag parameter, why an update failed)
 * from CloudFormation, so no operator copies an id by hand.
 */
import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { IMAGE_TAG_PARAMETER, OUTPUT_KEYS, outputLocation, stackNames, type OutputName } from '../../infra/outputs.ts';

export class MissingOutputError extends Error {
  constructor(stackName: string, outputKey: string) {
    super(`stack ${stackName} has no output ${outputKey}. Fix: deploy the stacks first (npm run deploy), or check APP_NAME`);
    this.name = 'MissingOutputError';
  }
}

/** undefined when the stack does not exist. */
export async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0];
  } catch (error) {
    if (/does not exist/.test((error as Error).message ?? '')) return undefined;
    throw error;
  }
}

/** Lazily reads and caches each stack's outputs. */
export class StackOutputs {
  private readonly cache = new Map<string, Promise<Stack | undefined>>();

  constructor(
    private readonly cfn: CloudFormationClient,
    readonly appName: string,
  ) {}

  stack(stackName: string): Promise<Stack | undefined> {
    let found = this.cache.get(stackName);
    if (!found) {
      found = describeStack(this.cfn, stackName);
      this.cache.set(stackName, found);
    }
    return found;
  }

  async find(name: OutputName): Promise<string | undefined> {
    const { stackName, outputKey } = outputLocation(this.appName, name);
    const stack = await this.stack(stackName);
    return stack?.Outputs?.find((o) => o.OutputKey === outputKey)?.OutputValue;
  }

  async get(name: OutputName): Promise<string> {
    const value = await this.find(name);
    if (value === undefined || value === '') {
      const { stackName, outputKey } = outputLocation(this.appName, name);
      throw new MissingOutputError(stackName, outputKey);
    }
    return value;
  }

  async list(name: OutputName): Promise<string[]> {
    return (await this.get(name)).split(',').map((s) => s.trim()).filter(Boolean);
  }
}

/** The release the service stack is set to run (its ImageTag parameter), if deployed. */
export async function currentImageTag(cfn: CloudFormationClient, appName: string): Promise<string | undefined> {
  const stack = await describeStack(cfn, stackNames(appName).service);
  const param = stack?.Parameters?.find((p) => p.ParameterKey === IMAGE_TAG_PARAMETER)?.ParameterValue;
  return param ?? stack?.Outputs?.find((o) => o.OutputKey === OUTPUT_KEYS.runningImageTag)?.OutputValue;
}

const FAILED = /_FAILED$/;

/**
 * The first failure CloudFormation recorded for a stack since `since` (the root cause, e.g. the
 * migration custom resource), skipping the "cancelled" noise that follows it.
 */
export async function stackFailureReason(
  cfn: CloudFormationClient,
  stackName: string,
  since: Date,
): Promise<string | undefined> {
  const events: StackEvent[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }));
    const recent = (page.StackEvents ?? []).filter((e) => (e.Timestamp?.getTime() ?? 0) >= since.getTime());
    events.push(...recent);
    token = recent.length === (page.StackEvents ?? []).length ? page.NextToken : undefined;
  } while (token);
  const failures = events
    .filter((e) => FAILED.test(e.ResourceStatus ?? '') && !/cancelled/i.test(e.ResourceStatusReason ?? ''))
    .sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0));
  const first = failures[0];
  return first ? `${first.LogicalResourceId} ${first.ResourceStatus}: ${first.ResourceStatusReason ?? 'no reason given'}` : undefined;
}

/**
 * A stack in UPDATE_ROLLBACK_FAILED takes no update until its rollback is continued: CloudFormation
 * "can't roll back all changes after a failed stack update"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ContinueUpdateRollback.html).
 */
export function stuckStackReason(stackName: string): string {
  return `CloudFormation could not roll ${stackName} back: it is UPDATE_ROLLBACK_FAILED and takes no update until its rollback is continued. Fix: aws cloudformation continue-update-rollback --stack-name ${stackName} (skip the resources it names if it fails again; see runbooks/rollback.md)`;
}

/** Refuses to start while another update runs, or while the stack is stuck in a failed rollback. */
export async function assertStackIdle(cfn: CloudFormationClient, stackName: string): Promise<void> {
  const status = (await describeStack(cfn, stackName))?.StackStatus;
  if (!status) return;
  if (status.endsWith('_IN_PROGRESS')) {
    throw new Error(`${stackName} is ${status}: another deploy or rollback is running. Fix: wait for it to finish, then run this again`);
  }
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    throw new Error(`${stackName} is UPDATE_ROLLBACK_FAILED. Fix: aws cloudformation continue-update-rollback --stack-name ${stackName} (skip the resources it names), then run this again`);
  }
}
