/**
 * What deleting a stack does to each of its resources, read from the deployed template: the
 * DeletionPolicy (and CloudFormation's defaults where none is given), the log groups AWS
 * creates outside the template, and the order the stacks must go in. Pure functions.
 */
import { STACK_KEYS, type StackKey } from '../../../infra/outputs.ts';
import type { CfnResource, CfnTemplate } from '../cost/assembly.ts';
import type { StackBody, StackRecord } from './inventory.ts';

export type DeletionPolicy = 'Delete' | 'Retain' | 'RetainExceptOnCreate' | 'Snapshot';

/**
 * The policy CloudFormation applies when the stack is deleted. Without an explicit one it
 * deletes, except an RDS cluster and a DB instance outside a cluster, which it snapshots
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
 */
export function effectiveDeletionPolicy(resource: CfnResource): DeletionPolicy {
  const given = resource.DeletionPolicy;
  if (given === 'Retain' || given === 'RetainExceptOnCreate' || given === 'Snapshot' || given === 'Delete') return given;
  if (resource.Type === 'AWS::RDS::DBCluster') return 'Snapshot';
  if (resource.Type === 'AWS::RDS::DBInstance' && resource.Properties?.DBClusterIdentifier === undefined) return 'Snapshot';
  return 'Delete';
}

/** `deleted`: goes with the stack; `retained`: stays; `snapshot`: goes, leaving a final snapshot. */
export type Fate = 'deleted' | 'retained' | 'snapshot';

export interface PlannedResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
  readonly fate: Fate;
  readonly policy: DeletionPolicy;
  /** The template's properties (fixed names, settings). */
  readonly properties: Readonly<Record<string, unknown>>;
}

const fateOf = (policy: DeletionPolicy): Fate => (policy === 'Snapshot' ? 'snapshot' : policy === 'Delete' ? 'deleted' : 'retained');

/** Every resource of a stack and its nested stacks, with what its deletion does to it. */
export function classify(body: StackBody): PlannedResource[] {
  const own = body.resources.map((r): PlannedResource => {
    const declared: CfnResource = body.template.Resources?.[r.logicalId] ?? { Type: r.type };
    const policy = effectiveDeletionPolicy({ ...declared, Type: r.type || declared.Type });
    return { stackName: body.stackName, logicalId: r.logicalId, type: r.type || declared.Type, physicalId: r.physicalId, fate: fateOf(policy), policy, properties: declared.Properties ?? {} };
  });
  return [...own, ...body.nested.flatMap(classify)];
}

/**
 * Log groups AWS creates by itself for resources of the stack, which no stack deletion removes:
 * a Lambda function's `/aws/lambda/NAME` when the template gives it no log group
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html), and an ECS
 * cluster's Container Insights group `/aws/ecs/containerinsights/NAME/performance`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html).
 */
export function implicitLogGroups(body: StackBody): PlannedResource[] {
  const found: PlannedResource[] = [];
  const logGroup = (logicalId: string, name: string): PlannedResource => ({
    stackName: body.stackName, logicalId, type: 'AWS::Logs::LogGroup', physicalId: name, fate: 'retained', policy: 'Retain', properties: { LogGroupName: name },
  });
  for (const r of body.resources) {
    const props = body.template.Resources?.[r.logicalId]?.Properties ?? {};
    if (!r.physicalId) continue;
    if (r.type === 'AWS::Lambda::Function' && (props.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup === undefined) {
      found.push(logGroup(`${r.logicalId} (Lambda log group)`, `/aws/lambda/${r.physicalId}`));
    }
    const settings = (props.ClusterSettings as Array<{ Name?: string; Value?: string }> | undefined) ?? [];
    if (r.type === 'AWS::ECS::Cluster' && settings.some((s) => s.Name === 'containerInsights' && s.Value !== 'disabled')) {
      found.push(logGroup(`${r.logicalId} (Container Insights log group)`, `/aws/ecs/containerinsights/${r.physicalId}/performance`));
    }
  }
  return [...found, ...body.nested.flatMap(implicitLogGroups)];
}

/** The stacks a template reads from (`Fn::GetStackOutput`, or `Fn::ImportValue` of an older deploy). */
export function referencedStacks(template: CfnTemplate, stackNames: readonly string[]): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(visit);
    const obj = value as Record<string, unknown>;
    const weak = obj['Fn::GetStackOutput'] as { StackName?: unknown } | undefined;
    if (typeof weak?.StackName === 'string') found.add(weak.StackName);
    const strong = obj['Fn::ImportValue'];
    // CDK names its exports `<producer stack>:ExportsOutput...`.
    if (typeof strong === 'string') stackNames.filter((n) => strong.startsWith(`${n}:`)).forEach((n) => found.add(n));
    Object.values(obj).forEach(visit);
  };
  visit(template.Resources);
  visit((template as { Outputs?: unknown }).Outputs);
  return found;
}

/**
 * The order to delete stacks in: a stack goes only after every stack that reads from it; among
 * those free to go, the one deployed last goes first (STACK_KEYS is the deploy order).
 */
export function deletionOrder<T extends Pick<StackRecord, 'stackName' | 'key' | 'template'>>(stacks: readonly T[]): T[] {
  const names = stacks.map((s) => s.stackName);
  const readsFrom = new Map(stacks.map((s) => [s.stackName, referencedStacks(s.template, names)]));
  const rank = (key: StackKey) => STACK_KEYS.indexOf(key);
  const left = [...stacks];
  const order: T[] = [];
  while (left.length) {
    const free = left.filter((s) => !left.some((other) => other !== s && readsFrom.get(other.stackName)!.has(s.stackName)));
    // A cycle cannot be deployed, so it cannot be here; fall back to the deploy order rather than loop.
    const next = (free.length ? free : left).sort((a, b) => rank(b.key) - rank(a.key))[0]!;
    order.push(next);
    left.splice(left.indexOf(next), 1);
  }
  return order;
}
