/**
 * Is a change from one set of stack templates to another safe to deploy with
 * `cdk deploy --all`? Pure functions over templates, shared by the change-safety replay
 * (infra/test/replay.test.ts, synthesized before/after) and the deploy guard
 * (scripts/lib/diff-guard.ts, deployed before / synthesized after). What a change replaces comes
 * from @aws-cdk/cloudformation-diff, the library behind `cdk diff`.
 *
 * Unsafe:
 * - a stateful resource (STATEFUL_TYPES) replaced, deleted or orphaned, or possibly replaced
 *   by a conditional property not confirmed in CONDITIONAL_UPDATES;
 * - an export that a deployed stack imports removed or changed (CloudFormation refuses: the
 *   deploy order deadlocks);
 * - an output that a deployed stack reads with Fn::GetStackOutput removed, or changed while
 *   the resource behind the old value is destroyed (the consumer keeps using a deleted resource).
 */
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { CONDITIONAL_UPDATES } from './conditional-updates.ts';
import { isStatefulType } from './stateful-resources.ts';

/** A CloudFormation template, as much as these checks read. */
export interface StackTemplate {
  readonly Resources?: Record<string, { readonly Type: string; readonly [key: string]: unknown }>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>;
  readonly [key: string]: unknown;
}

/** Templates by CloudFormation stack name. A stack missing on one side is created or deleted. */
export type StackTemplates = Readonly<Record<string, StackTemplate>>;

export type ChangeImpact = 'create' | 'update' | 'replace' | 'may-replace' | 'destroy' | 'orphan' | 'import' | 'none';

/** One resource's change, as cloudformation-diff sees it. */
export interface ResourceChange {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly impact: ChangeImpact;
  /** Properties that change, with their own impact. */
  readonly properties: Readonly<Record<string, ChangeImpact>>;
}

export type FindingKind = 'stateful-resource' | 'export-in-use' | 'output-in-use';

export interface ChangeFinding {
  readonly kind: FindingKind;
  readonly stack: string;
  /** The resource or output concerned. */
  readonly subject: string;
  readonly message: string;
}

export interface ChangeReport {
  readonly changes: readonly ResourceChange[];
  readonly findings: readonly ChangeFinding[];
}

const IMPACT: Record<ResourceImpact, ChangeImpact> = {
  [ResourceImpact.WILL_CREATE]: 'create',
  [ResourceImpact.WILL_UPDATE]: 'update',
  [ResourceImpact.WILL_REPLACE]: 'replace',
  [ResourceImpact.MAY_REPLACE]: 'may-replace',
  [ResourceImpact.WILL_DESTROY]: 'destroy',
  [ResourceImpact.WILL_ORPHAN]: 'orphan',
  [ResourceImpact.WILL_IMPORT]: 'import',
  [ResourceImpact.NO_CHANGE]: 'none',
};

/**
 * Replaces each cross-stack reference (`Fn::ImportValue` of an export, `Fn::GetStackOutput` of
 * an output) by the producer's output value, so that a reference that only changes mechanism
 * (strong to weak) is no change, as it is none for CloudFormation, which compares resolved
 * values. What happens to the producer's resource is checked on the producer's side.
 */
export function resolveCrossStackReferences(templates: StackTemplates): StackTemplates {
  const byExport = new Map<string, unknown>();
  for (const [stack, t] of Object.entries(templates)) {
    for (const o of Object.values(t.Outputs ?? {})) if (typeof o.Export?.Name === 'string') byExport.set(o.Export.Name, { 'Slipway::Output': [stack, o.Value] });
  }
  const map = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(map);
    if (!node || typeof node !== 'object') return node;
    const obj = node as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Fn::ImportValue' && typeof obj['Fn::ImportValue'] === 'string' && byExport.has(obj['Fn::ImportValue'])) {
      return byExport.get(obj['Fn::ImportValue']);
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetStackOutput') {
      const { StackName, OutputName } = (obj['Fn::GetStackOutput'] ?? {}) as { StackName?: unknown; OutputName?: unknown };
      const value = typeof StackName === 'string' && typeof OutputName === 'string' ? templates[StackName]?.Outputs?.[OutputName]?.Value : undefined;
      if (value !== undefined) return { 'Slipway::Output': [StackName, value] };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, map(v)]));
  };
  return Object.fromEntries(Object.entries(templates).map(([stack, t]) => [stack, { ...t, Resources: map(t.Resources) as StackTemplate['Resources'] }]));
}

/**
 * cloudformation-diff rates a changed property of a custom resource NO_CHANGE (the type is not
 * in the CloudFormation spec it reads impacts from), but CloudFormation sends the resource's
 * handler an Update request for it, which is what runs `migrate up` again:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html
 */
function customUpdate(type: string, update: { isDifferent: boolean; changeImpact?: ResourceImpact }): ChangeImpact | undefined {
  const custom = type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
  return custom && update.isDifferent && (update.changeImpact ?? ResourceImpact.NO_CHANGE) === ResourceImpact.NO_CHANGE ? 'update' : undefined;
}

/** Every resource change of every stack (cross-stack references compared by value). */
export function resourceChanges(rawBefore: StackTemplates, rawAfter: StackTemplates): ResourceChange[] {
  const before = resolveCrossStackReferences(rawBefore);
  const after = resolveCrossStackReferences(rawAfter);
  const changes: ResourceChange[] = [];
  for (const stack of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const diff = fullDiff(before[stack] ?? {}, after[stack] ?? {});
    diff.resources.forEachDifference((logicalId, change) => {
      const type = change.resourceType ?? '(unknown)';
      const properties: Record<string, ChangeImpact> = {};
      for (const [name, update] of Object.entries(change.propertyUpdates ?? {})) properties[name] = customUpdate(type, update) ?? IMPACT[update.changeImpact ?? ResourceImpact.NO_CHANGE];
      const impact = change.changeImpact === ResourceImpact.NO_CHANGE && Object.values(properties).includes('update') ? 'update' : IMPACT[change.changeImpact];
      if (impact === 'none') return;
      changes.push({ stack, logicalId, type, impact, properties });
    });
  }
  return changes;
}

/** The possibly-replacing properties of a change that the CloudFormation reference does not confirm as in place. */
export function unconfirmedConditionalProperties(change: ResourceChange): string[] {
  return Object.entries(change.properties)
    .filter(([, impact]) => impact === 'may-replace')
    .map(([name]) => name)
    .filter((name) => CONDITIONAL_UPDATES[change.type]?.[name]?.verdict !== 'in-place');
}

/**
 * A major version upgrade needs a parameter group of the new family: CloudFormation creates it,
 * moves the instance to it together with the new EngineVersion, and only then deletes the old
 * group, which nothing uses any more. That replacement, and only that one, is planned.
 */
function isMajorUpgradeParameterGroup(c: ResourceChange, changes: readonly ResourceChange[]): boolean {
  const replacing = Object.entries(c.properties).filter(([, i]) => i === 'replace').map(([n]) => n);
  return (
    c.type === 'AWS::RDS::DBParameterGroup' &&
    replacing.length === 1 &&
    replacing[0] === 'Family' &&
    changes.some((d) => d.stack === c.stack && d.type === 'AWS::RDS::DBInstance' && d.properties.EngineVersion !== undefined)
  );
}

function statefulFindings(changes: readonly ResourceChange[]): ChangeFinding[] {
  return changes.flatMap((c): ChangeFinding[] => {
    if (!isStatefulType(c.type) || isMajorUpgradeParameterGroup(c, changes)) return [];
    const what = `${c.type} ${c.logicalId}`;
    if (c.impact === 'replace') {
      const props = Object.entries(c.properties).filter(([, i]) => i === 'replace').map(([n]) => n);
      return [{ kind: 'stateful-resource', stack: c.stack, subject: c.logicalId, message: `${what} would be REPLACED (${props.join(', ') || 'logical id or type'})` }];
    }
    if (c.impact === 'destroy') return [{ kind: 'stateful-resource', stack: c.stack, subject: c.logicalId, message: `${what} would be DELETED` }];
    if (c.impact === 'orphan') return [{ kind: 'stateful-resource', stack: c.stack, subject: c.logicalId, message: `${what} would leave the stack (orphaned)` }];
    if (c.impact === 'may-replace') {
      const unconfirmed = unconfirmedConditionalProperties(c);
      return unconfirmed.length === 0
        ? []
        : [{ kind: 'stateful-resource', stack: c.stack, subject: c.logicalId, message: `${what} may be REPLACED (${unconfirmed.join(', ')}: not confirmed as an in-place update)` }];
    }
    return [];
  });
}

/** Every value in a template that is an intrinsic of `kind`, e.g. all `Fn::ImportValue` arguments. */
function intrinsics(node: unknown, kind: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) node.forEach((n) => intrinsics(n, kind, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === kind) out.push(value);
      intrinsics(value, kind, out);
    }
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The logical id an output value points at (`Ref` or `Fn::GetAtt`), if it is that simple. */
function resourceOf(value: unknown): string | undefined {
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown } | undefined;
  if (typeof v?.Ref === 'string') return v.Ref;
  const att = v?.['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
  if (typeof att === 'string') return att.split('.')[0];
  return undefined;
}

/** Would the physical value behind an output change, and is the old resource gone afterwards? */
function fateOfTarget(stack: string, value: unknown, before: StackTemplates, changes: readonly ResourceChange[]) {
  const target = resourceOf(value);
  const change = changes.find((c) => c.stack === stack && c.logicalId === target);
  const resource = target ? (before[stack]?.Resources?.[target] as { DeletionPolicy?: string; UpdateReplacePolicy?: string } | undefined) : undefined;
  const replaced = change?.impact === 'replace';
  const removed = change?.impact === 'destroy';
  const kept = replaced ? resource?.UpdateReplacePolicy === 'Retain' : resource?.DeletionPolicy === 'Retain';
  return { target, replaced, gone: (replaced || removed) && !kept, verb: replaced ? 'replaces' : 'deletes' };
}

function exportFindings(before: StackTemplates, after: StackTemplates, changes: readonly ResourceChange[]): ChangeFinding[] {
  const imported = new Set(Object.values(before).flatMap((t) => intrinsics(t, 'Fn::ImportValue')).filter((v): v is string => typeof v === 'string'));
  const findings: ChangeFinding[] = [];
  for (const [stack, template] of Object.entries(before)) {
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      const name = output.Export?.Name;
      if (typeof name !== 'string' || !imported.has(name)) continue;
      const next = Object.values(after[stack]?.Outputs ?? {}).find((o) => same(o.Export?.Name, name));
      if (!next) {
        findings.push({ kind: 'export-in-use', stack, subject: key, message: `export ${name} would be removed while another stack imports it (CloudFormation refuses: "cannot be deleted as it is in use")` });
      } else if (!same(next.Value, output.Value) || fateOfTarget(stack, output.Value, before, changes).replaced) {
        findings.push({ kind: 'export-in-use', stack, subject: key, message: `export ${name} would change while another stack imports it (CloudFormation refuses to update an export in use)` });
      }
    }
  }
  return findings;
}

function weakReferenceFindings(before: StackTemplates, after: StackTemplates, changes: readonly ResourceChange[]): ChangeFinding[] {
  const findings: ChangeFinding[] = [];
  const seen = new Set<string>();
  for (const [consumer, template] of Object.entries(before)) {
    for (const ref of intrinsics(template, 'Fn::GetStackOutput') as Array<{ StackName?: unknown; OutputName?: unknown }>) {
      const { StackName: stack, OutputName: output } = ref ?? {};
      if (typeof stack !== 'string' || typeof output !== 'string' || seen.has(`${stack}/${output}`)) continue;
      seen.add(`${stack}/${output}`);
      const old = before[stack]?.Outputs?.[output];
      if (!old) continue;
      if (!after[stack]?.Outputs?.[output]) {
        findings.push({ kind: 'output-in-use', stack, subject: output, message: `output ${output} would be removed while ${consumer} reads it (Fn::GetStackOutput)` });
        continue;
      }
      const fate = fateOfTarget(stack, old.Value, before, changes);
      if (fate.gone) {
        findings.push({ kind: 'output-in-use', stack, subject: output, message: `${consumer} reads output ${output}, and the same deploy first ${fate.verb} ${fate.target} behind it without retaining the old one` });
      }
    }
  }
  return findings;
}

/** What a deploy from `before` to `after` changes, and what about it is unsafe. */
export function checkChange(before: StackTemplates, after: StackTemplates): ChangeReport {
  const changes = resourceChanges(before, after);
  return {
    changes,
    findings: [...statefulFindings(changes), ...exportFindings(before, after, changes), ...weakReferenceFindings(before, after, changes)],
  };
}

/** One line per finding: `stack: message`. */
export const describeFinding = (f: ChangeFinding) => `${f.stack}: ${f.message}`;
