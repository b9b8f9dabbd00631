/**
 * Rolling the service stack back to the template its target release was deployed with, not
 * the local checkout's: a deploy keeps the deployed service template in the attachments
 * bucket (releases/<tag>/<stack>.template.json, named in the release record), and a rollback
 * updates the stack with it through CloudFormation. The assets it names (the migrate Lambda's
 * code) stay in the CDK bootstrap bucket, which CDK never empties by itself. Before the update
 * the same change-safety check as the deploy guard compares it with what is deployed.
 */
import { DescribeStackResourceCommand, DescribeStacksCommand, GetTemplateCommand, UpdateStackCommand, type Parameter } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatDifferences, fullDiff } from '@aws-cdk/cloudformation-diff';
import { IMAGE_TAG_PARAMETER } from '../../infra/outputs.ts';
import { checkChange, describeFinding, type ChangeFinding, type StackTemplate } from '../../infra/policies/change-safety.ts';
import { formatDuration } from './cli.ts';
import type { ReleaseRecord } from './releases.ts';
import { readRunning, settleServices, type RollDeps, type RollOutcome, type RollTarget, type Timeouts } from './release-flow.ts';
import { stackFailureReason, stuckStackReason } from './stacks.ts';
import { waitFor } from './wait.ts';

export type StoredTemplate = NonNullable<ReleaseRecord['serviceTemplate']>;

/** CloudFormation takes a template body up to this size; larger ones go by URL. */
const MAX_TEMPLATE_BODY = 51_200;

async function deployedTemplate(deps: Pick<RollDeps, 'cfn'>, stack: string): Promise<string> {
  const out = await deps.cfn.send(new GetTemplateCommand({ StackName: stack, TemplateStage: 'Original' }));
  if (!out?.TemplateBody) throw new Error(`CloudFormation returned no template for ${stack}`);
  return out.TemplateBody;
}

/** Keeps the service stack's deployed template with the release. */
export async function storeServiceTemplate(deps: Pick<RollDeps, 'cfn'> & { s3: S3Client }, stack: string, bucket: string, release: string): Promise<StoredTemplate> {
  const body = await deployedTemplate(deps, stack);
  const key = `releases/${release}/${stack}.template.json`;
  await deps.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  return { bucket, key };
}

/** The template kept with the newest record of `release` that served. */
export function storedTemplateOf(history: readonly ReleaseRecord[], release: string): StoredTemplate | undefined {
  return [...history]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .find((r) => r.release === release && r.serviceTemplate && (r.outcome === 'live' || r.outcome === 'replaced'))?.serviceTemplate;
}

const parse = (body: string, what: string): StackTemplate => {
  try {
    return JSON.parse(body) as StackTemplate;
  } catch {
    throw new Error(`${what} is not a JSON template`);
  }
};

/**
 * A stateful resource that the release being rolled away from added (the target's template
 * lacks it) and that leaves the stack with the rollback. Removing a resource from a template
 * deletes it unless its DeletionPolicy keeps it:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
 */
export interface LeftResource {
  readonly type: string;
  readonly logicalId: string;
  /** Retain or RetainExceptOnCreate: it leaves the stack but stays in the account. */
  readonly retained: boolean;
  /** Its name or ARN, read before the rollback (the stack forgets it afterwards). */
  readonly physicalId?: string;
}

export interface RollBackSafety {
  /** --allow-stateful-replacement: go ahead whatever the check finds. */
  readonly allowStateful: boolean;
  /**
   * The release being rolled away from, when it never served (it failed its gate): what it
   * added goes with it, since nothing the target release had is lost. Unset, such a resource
   * leaving the stack is refused like any other.
   */
  readonly leavingNeverServed?: string;
}

export interface RollBackCheck {
  /** The kept template's body, as the update sends it. */
  readonly body: string;
  /** What refuses the rollback (unless allowStateful): the target's own resources replaced or deleted, references broken. */
  readonly findings: readonly ChangeFinding[];
  readonly left: readonly LeftResource[];
}

const RETAINING = new Set(['Retain', 'RetainExceptOnCreate']);

/**
 * The change-safety check of a rollback to a kept template: the deployed template against the
 * kept one, with the same checks as the deploy guard, except that the stateful resources a
 * never-served release added may leave with it. Reports each finding; throws on a refusal.
 */
export async function checkRollBack(deps: Pick<RollDeps, 'cfn' | 'reporter'> & { s3: S3Client }, stack: string, tag: string, stored: StoredTemplate, safety: RollBackSafety): Promise<RollBackCheck> {
  const { reporter } = deps;
  const body = await (await deps.s3.send(new GetObjectCommand({ Bucket: stored.bucket, Key: stored.key }))).Body!.transformToString();
  const deployed = parse(await deployedTemplate(deps, stack), `the deployed template of ${stack}`);
  const kept = parse(body, `s3://${stored.bucket}/${stored.key}`);
  reporter.line(`Diff of ${stack}, from the deployed template to the one ${tag} was deployed with:`);
  reporter.line(templateDiffText(deployed, kept) || '(no resource changes)');
  const report = checkChange({ [stack]: deployed }, { [stack]: kept });
  const added = (f: ChangeFinding) => f.kind === 'stateful-resource' && deployed.Resources?.[f.subject] !== undefined && kept.Resources?.[f.subject] === undefined;
  const leaving = safety.leavingNeverServed;
  const findings = leaving ? report.findings.filter((f) => !added(f)) : report.findings;
  const left: LeftResource[] = [];
  for (const f of leaving ? report.findings.filter(added) : []) {
    const resource = deployed.Resources![f.subject]!;
    const physicalId = await physicalIdOf(deps, stack, f.subject);
    const item: LeftResource = { type: resource.Type, logicalId: f.subject, retained: RETAINING.has(String(resource.DeletionPolicy)), ...(physicalId ? { physicalId } : {}) };
    left.push(item);
    reporter.step(
      'warn',
      'change safety',
      `${describeLeft(item)} was added by ${leaving}, which never served: ${item.retained ? `it leaves ${stack} and stays in the account (DeletionPolicy ${String(resource.DeletionPolicy)})` : `CloudFormation deletes it (${tag} never had it)`}`,
      item.retained ? `delete it once nothing in it is needed; a release that adds it again under the same name cannot create it while it exists` : undefined,
    );
  }
  for (const finding of findings) reporter.step(safety.allowStateful ? 'warn' : 'fail', 'change safety', describeFinding(finding));
  if (findings.length && !safety.allowStateful) {
    throw new Error(`refusing to roll ${stack} back to the template of ${tag}: ${findings.map(describeFinding).join('; ')}. Fix: roll back with a release whose template keeps these, or pass --allow-stateful-replacement if you have a snapshot`);
  }
  if (findings.length === 0) reporter.step('pass', 'change safety', `going back to the template of ${tag} replaces or deletes nothing ${tag} had`);
  return { body, findings, left };
}

/** The diff in `cdk diff`'s format (the same library renders it), without colours. */
function templateDiffText(from: StackTemplate, to: StackTemplate): string {
  let text = '';
  const sink = { write: (chunk: string | Uint8Array) => ((text += chunk.toString()), true) } as unknown as Parameters<typeof formatDifferences>[0];
  formatDifferences(sink, fullDiff(from, to));
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').trim();
}

/** For a summary line: what the rollback left in the account, outside any stack. */
export function keptNote(left: readonly LeftResource[]): string {
  const kept = left.filter((r) => r.retained);
  return kept.length ? `; left in the account, outside the stack (DeletionPolicy Retain): ${kept.map(describeLeft).join(', ')}` : '';
}

/** A resource's name or ARN; undefined when it cannot be read (it only makes a message clearer). */
async function physicalIdOf(deps: Pick<RollDeps, 'cfn'>, stack: string, logicalId: string): Promise<string | undefined> {
  try {
    const out = await deps.cfn.send(new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: logicalId }));
    return out?.StackResourceDetail?.PhysicalResourceId;
  } catch {
    return undefined;
  }
}

export const describeLeft = (r: LeftResource): string => `${r.type} ${r.logicalId}${r.physicalId ? ` (${r.physicalId})` : ''}`;

/** Updates the service stack with the stored template and `tag`, then waits for the services. */
export async function rollToStoredTemplate(
  deps: RollDeps & { s3: S3Client },
  target: RollTarget,
  tag: string,
  stored: StoredTemplate,
  timeouts: Timeouts,
  safety: RollBackSafety | RollBackCheck,
): Promise<RollBack> {
  const { reporter, clock, cfn } = deps;
  const stack = target.serviceStack;
  const started = clock.now();
  const { body, left } = 'body' in safety ? safety : await checkRollBack(deps, stack, tag, stored, safety);
  const current = (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0];
  const known = new Set((current?.Parameters ?? []).map((p) => p.ParameterKey));
  const declared = Object.keys((parse(body, 'the stored template') as { Parameters?: Record<string, unknown> }).Parameters ?? {});
  const parameters: Parameter[] = declared
    .filter((k) => k === IMAGE_TAG_PARAMETER || known.has(k))
    .map((k) => (k === IMAGE_TAG_PARAMETER ? { ParameterKey: k, ParameterValue: tag } : { ParameterKey: k, UsePreviousValue: true }));
  const url = `https://${stored.bucket}.s3.${await deps.s3.config.region()}.amazonaws.com/${stored.key}`;
  reporter.line(`  updating ${stack} with the template kept for ${tag} (s3://${stored.bucket}/${stored.key}), ${IMAGE_TAG_PARAMETER}=${tag}`);
  try {
    await cfn.send(new UpdateStackCommand({
      StackName: stack,
      ...(Buffer.byteLength(body) <= MAX_TEMPLATE_BODY ? { TemplateBody: body } : { TemplateURL: url }),
      Parameters: parameters,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    }));
  } catch (error) {
    if (!/No updates are to be performed/.test((error as Error).message)) throw error;
  }
  const final = await waitFor<string>({
    what: `${stack} to finish updating`,
    timeoutMs: timeouts.deployMs,
    intervalMs: 15_000,
    clock,
    progress: (l) => reporter.line(l),
    poll: async () => {
      const status = (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.StackStatus ?? 'UNKNOWN';
      return status.endsWith('_IN_PROGRESS') ? { state: 'pending', status } : { state: 'done', status, value: status };
    },
  });
  if (final !== 'UPDATE_COMPLETE' && final !== 'CREATE_COMPLETE') {
    const cause = `${stack}: ${(await stackFailureReason(cfn, stack, new Date(started)).catch(() => undefined)) ?? `the stack ended ${final}`}`;
    const stuck = final === 'UPDATE_ROLLBACK_FAILED';
    const reason = stuck ? `${cause}; then ${stuckStackReason(stack)}` : cause;
    reporter.step('fail', `stack update to ${tag}`, reason);
    return { outcome: { ok: false, stage: stuck ? 'stack-stuck' : 'stack-update', reason, running: await readRunning(deps, target) }, template: stored, left: [] };
  }
  reporter.step('pass', `stack update to ${tag}`, `with its own template (${formatDuration(clock.now() - started)})`);
  return { outcome: await settleServices(deps, target, timeouts), template: stored, left };
}

export interface RollBack {
  readonly outcome: RollOutcome;
  /** The template the stack went back to; undefined: only the image was rolled back. */
  readonly template?: StoredTemplate;
  /** What left the stack with the rollback (resources the release rolled away from added). */
  readonly left: readonly LeftResource[];
}

/** How a rollback to `tag` will go, said before it goes: with its template, or image only. */
export function planRollBack(deps: Pick<RollDeps, 'reporter'>, history: readonly ReleaseRecord[], tag: string): StoredTemplate | undefined {
  const stored = storedTemplateOf(history, tag);
  if (stored) deps.reporter.step('info', 'service template', `goes back to the one ${tag} was deployed with (s3://${stored.bucket}/${stored.key})`);
  else deps.reporter.step('warn', 'service template', `none was kept with ${tag} (deployed before releases kept them): only the image is rolled back; the service stack keeps this checkout's template`, `compare the service stack with what ${tag} had before relying on it (npx cdk diff)`);
  return stored;
}

/** Rolls the service stack back to `tag`: with its own template when one was kept, else cdk deploy of the checkout. */
export async function rollBack(
  deps: RollDeps & { s3: S3Client },
  target: RollTarget,
  tag: string,
  stored: StoredTemplate | undefined,
  timeouts: Timeouts,
  /** The check to run, or its result when it already ran (rollback checks before its dry-run exit). */
  safety: RollBackSafety | RollBackCheck,
  cdkRoll: () => Promise<RollOutcome>,
): Promise<RollBack> {
  if (!stored) return { outcome: await cdkRoll(), left: [] };
  return rollToStoredTemplate(deps, target, tag, stored, timeouts, safety);
}
