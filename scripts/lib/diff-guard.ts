/**
 * Refuses a deploy that would replace, delete or orphan a stateful resource, or break a
 * cross-stack reference, unless the operator says so explicitly. It compares what CloudFormation
 * holds (GetTemplate of each deployed stack) with the synthesized templates, using the same
 * checks as the change-safety replay (infra/policies/change-safety.ts, built on
 * @aws-cdk/cloudformation-diff) and the one list of stateful types
 * (infra/policies/stateful-resources.ts). Never parses `cdk diff` text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { checkChange, type ChangeImpact, type ChangeFinding, type StackTemplate, type StackTemplates } from '../../infra/policies/change-safety.ts';

export { STATEFUL_TYPES } from '../../infra/policies/stateful-resources.ts';

/** One resource change of one stack. */
export interface DiffChange {
  readonly stack: string;
  readonly type: string;
  readonly logicalId: string;
  readonly impact: ChangeImpact;
  /** Why a risky change is refused (set on risks). */
  readonly message?: string;
}

export interface GuardReport {
  readonly changes: readonly DiffChange[];
  /** What makes the deploy unsafe; empty when it is safe. */
  readonly risks: readonly DiffChange[];
}

/** The templates CloudFormation holds for the stacks; a stack that does not exist is left out. */
export async function deployedTemplates(cfn: CloudFormationClient, stackNames: readonly string[]): Promise<StackTemplates> {
  const out: Record<string, StackTemplate> = {};
  for (const stackName of stackNames) {
    let body: string | undefined;
    try {
      body = (await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }))).TemplateBody;
    } catch (error) {
      if (/does not exist/.test((error as Error).message)) continue;
      throw new Error(`could not read the deployed template of ${stackName}: ${(error as Error).message}`);
    }
    if (!body) throw new Error(`CloudFormation returned no template for ${stackName}`);
    try {
      out[stackName] = JSON.parse(body) as StackTemplate;
    } catch {
      throw new Error(`the deployed template of ${stackName} is not JSON (was it deployed by this kit?); compare it by hand with cdk diff ${stackName}`);
    }
  }
  return out;
}

/** The synthesized templates of a cloud assembly (e.g. cdk.out), by CloudFormation stack name. */
export function assemblyTemplates(assemblyDir: string, stackNames?: readonly string[]): StackTemplates {
  const manifestFile = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`no cloud assembly in ${assemblyDir} (manifest.json is missing): synthesize first (npx cdk synth)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const out: Record<string, StackTemplate> = {};
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const stackName = artifact.properties.stackName ?? id;
    if (stackNames && !stackNames.includes(stackName)) continue;
    out[stackName] = JSON.parse(readFileSync(join(assemblyDir, artifact.properties.templateFile), 'utf8')) as StackTemplate;
  }
  return out;
}

const riskOf = (f: ChangeFinding, changes: readonly DiffChange[]): DiffChange => {
  const change = changes.find((c) => c.stack === f.stack && c.logicalId === f.subject);
  return { stack: f.stack, type: change?.type ?? (f.kind === 'stateful-resource' ? '(resource)' : 'Output'), logicalId: f.subject, impact: change?.impact ?? 'update', message: f.message };
};

/** Compares deployed with synthesized templates of the given stacks. */
export function guardTemplates(deployed: StackTemplates, synthesized: StackTemplates): GuardReport {
  // Stacks not in this deploy keep their deployed templates: only their references are read.
  const report = checkChange(deployed, { ...deployed, ...synthesized });
  const changes = report.changes.map((c) => ({ stack: c.stack, type: c.type, logicalId: c.logicalId, impact: c.impact }));
  return { changes, risks: report.findings.map((f) => riskOf(f, changes)) };
}

/**
 * The guard for a deploy: reads every stack of the app from CloudFormation (consumers of the
 * deployed stacks matter even when only one stack deploys) and compares the stacks being
 * deployed with their synthesized templates.
 */
export async function guardDeployment(
  cfn: CloudFormationClient,
  synthesized: StackTemplates,
  appStackNames: readonly string[],
): Promise<GuardReport> {
  const deployed = await deployedTemplates(cfn, appStackNames);
  return guardTemplates(deployed, synthesized);
}

/** The changes that would lose or detach data (kept for callers that filter changes). */
export function statefulRisks(report: GuardReport): DiffChange[] {
  return [...report.risks];
}

export function describeRisk(change: DiffChange): string {
  if (change.message) return `${change.stack}: ${change.message}`;
  const verb: Record<ChangeImpact, string> = { replace: 'would be REPLACED', 'may-replace': 'may be REPLACED', destroy: 'would be DELETED', orphan: 'would leave the stack (orphaned)', create: 'created', update: 'updated', import: 'imported', none: 'unchanged' };
  return `${change.stack}: ${change.type} ${change.logicalId} ${verb[change.impact]}`;
}
