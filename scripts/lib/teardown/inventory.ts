/**
 * What CloudFormation holds for an app: each stack that is deployed, and the record of each
 * stack deleted in the last 90 days (CloudFormation keeps a deleted stack's template and
 * resource list that long, by stack id:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackResources.html),
 * each with its template and the physical id of every resource, nested stacks included.
 * Teardown plans from it, and it is where leftovers of an earlier teardown are found.
 */
import {
  DescribeStackEventsCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  type CloudFormationClient,
  type Stack,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import { STACK_KEYS, stackNames, type StackKey } from '../../../infra/outputs.ts';
import type { CfnTemplate } from '../cost/assembly.ts';
import { describeStack } from '../stacks.ts';

export interface StackResource {
  readonly logicalId: string;
  /** The type CloudFormation created (after transforms: AWS::CloudFormation::Stack for a SAM application). */
  readonly type: string;
  readonly physicalId: string;
}

/** A stack, or a nested stack inside one, with its template and resources. */
export interface StackBody {
  readonly stackName: string;
  readonly stackId: string;
  /** The template as deployed (`Original` stage). */
  readonly template: CfnTemplate;
  readonly resources: readonly StackResource[];
  readonly nested: readonly StackBody[];
}

export interface StackRecord extends StackBody {
  readonly key: StackKey;
  readonly status: string;
  /** The record of a deleted stack (read by its stack id). */
  readonly deleted: boolean;
  readonly terminationProtection: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, string>>;
  /** When the stack's current deletion began (its first attempt, when it was asked again after DELETE_FAILED); undefined for a stack never deleted. */
  readonly deletionStartedAt?: Date;
}

export interface Inventory {
  readonly appName: string;
  readonly region: string;
  /** Deployed stacks (anything but DELETE_COMPLETE), in STACK_KEYS order. */
  readonly live: readonly StackRecord[];
  /** Deleted stacks of the app, newest first (several generations if it was deployed again). */
  readonly deleted: readonly StackRecord[];
}

const NESTED_STACK = 'AWS::CloudFormation::Stack';

async function readTemplate(cfn: CloudFormationClient, stackId: string, stackName: string): Promise<CfnTemplate> {
  const body = (await cfn.send(new GetTemplateCommand({ StackName: stackId, TemplateStage: 'Original' }))).TemplateBody ?? '{}';
  try {
    return JSON.parse(body) as CfnTemplate;
  } catch {
    throw new Error(`the template of ${stackName} is not JSON (the kit deploys JSON templates), so teardown cannot read what it retains`);
  }
}

async function readResources(cfn: CloudFormationClient, stackId: string): Promise<StackResource[]> {
  const resources: StackResource[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: token }));
    for (const r of page.StackResourceSummaries ?? []) {
      if (!r.LogicalResourceId) continue;
      resources.push({ logicalId: r.LogicalResourceId, type: r.ResourceType ?? '', physicalId: r.PhysicalResourceId ?? '' });
    }
    token = page.NextToken;
  } while (token);
  return resources;
}

async function readBody(cfn: CloudFormationClient, stackName: string, stackId: string): Promise<StackBody> {
  const [template, resources] = await Promise.all([readTemplate(cfn, stackId, stackName), readResources(cfn, stackId)]);
  const nested: StackBody[] = [];
  for (const r of resources) {
    if (r.type !== NESTED_STACK || !r.physicalId.startsWith('arn:')) continue;
    nested.push(await readBody(cfn, `${stackName}/${r.logicalId}`, r.physicalId));
  }
  return { stackName, stackId, template, resources, nested };
}

const toMap = <T>(items: readonly T[] | undefined, key: (t: T) => string | undefined, value: (t: T) => string | undefined) =>
  Object.fromEntries((items ?? []).map((i) => [key(i) ?? '', value(i) ?? '']));

/**
 * When the stack's current deletion began: the earliest DELETE_IN_PROGRESS of the stack itself
 * in the run of its own DELETE_* events that ends with the newest one. A deletion that ended
 * DELETE_FAILED can only be deleted again
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes),
 * so a rerun of teardown starts a second DELETE_IN_PROGRESS while the database, and its final
 * snapshot, may have gone in the first. A stack event of another kind (an update, a create)
 * ends the sequence: a DELETE_IN_PROGRESS older than that is an earlier one.
 * DescribeStackEvents lists the newest first
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackEvents.html).
 */
async function deletionStart(cfn: CloudFormationClient, stackId: string, stackName: string): Promise<Date | undefined> {
  let start: Date | undefined;
  let token: string | undefined;
  do {
    const page = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: token }));
    for (const e of page.StackEvents ?? []) {
      if (e.LogicalResourceId !== stackName) continue;
      if (!String(e.ResourceStatus ?? '').startsWith('DELETE_')) return start;
      if (e.ResourceStatus === 'DELETE_IN_PROGRESS' && e.Timestamp) start = e.Timestamp;
    }
    token = page.NextToken;
  } while (token);
  return start;
}

async function record(cfn: CloudFormationClient, key: StackKey, stack: Stack | StackSummary, deleted: boolean): Promise<StackRecord> {
  const stackName = stack.StackName!;
  const stackId = stack.StackId!;
  const status = 'StackStatus' in stack ? String(stack.StackStatus) : '';
  const body = await readBody(cfn, stackName, stackId);
  const full = stack as Stack;
  return {
    ...body,
    key,
    status,
    deleted,
    terminationProtection: Boolean(full.EnableTerminationProtection),
    tags: toMap(full.Tags, (t) => t.Key, (t) => t.Value),
    parameters: toMap(full.Parameters, (p) => p.ParameterKey, (p) => p.ParameterValue),
    deletionStartedAt: status.startsWith('DELETE') ? await deletionStart(cfn, stackId, stackName) : undefined,
  };
}

async function deletedSummaries(cfn: CloudFormationClient, names: ReadonlySet<string>): Promise<StackSummary[]> {
  const found: StackSummary[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'], NextToken: token }));
    found.push(...(page.StackSummaries ?? []).filter((s) => names.has(s.StackName ?? '')));
    token = page.NextToken;
  } while (token);
  const time = (s: StackSummary) => (s.DeletionTime ?? s.CreationTime)?.getTime() ?? 0;
  return found.sort((a, b) => time(b) - time(a));
}

export async function readInventory(cfn: CloudFormationClient, appName: string, region: string): Promise<Inventory> {
  const names = stackNames(appName);
  const keyOf = new Map(STACK_KEYS.map((k) => [names[k], k] as const));
  const live: StackRecord[] = [];
  for (const key of STACK_KEYS) {
    const stack = await describeStack(cfn, names[key]);
    if (stack && stack.StackStatus !== 'DELETE_COMPLETE') live.push(await record(cfn, key, stack, false));
  }
  const deleted: StackRecord[] = [];
  for (const summary of await deletedSummaries(cfn, new Set(keyOf.keys()))) {
    deleted.push(await record(cfn, keyOf.get(summary.StackName!)!, summary, true));
  }
  return { appName, region, live, deleted };
}
