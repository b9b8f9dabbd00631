/**
 * Where assemblies come from: `cdk synth` of the work tree (or of another git revision, in a
 * temporary worktree that reuses this checkout's node_modules), or the templates CloudFormation
 * holds for the deployed stacks.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeStacksCommand, GetTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { stackNames } from '../../../infra/outputs.ts';
import type { CommandRunner } from '../runner.ts';
import { assemblyFromDirectory, type AssemblyInput, type CfnTemplate, type StackTemplate } from './assembly.ts';

export interface SynthOptions {
  /** CDK context (`-c KEY=VALUE`), e.g. { DEPLOY_PROFILE: 'trial' }. */
  readonly context?: Readonly<Record<string, string>>;
  /** The checkout to synthesize. @default the working directory */
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** `npx cdk synth` into a temp folder, read back, folder removed. */
export async function synthesize(runner: CommandRunner, options: SynthOptions = {}): Promise<AssemblyInput> {
  const outdir = mkdtempSync(join(tmpdir(), 'slipway-cost-'));
  try {
    const context = Object.entries(options.context ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    const result = await runner.run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', outdir, ...context], {
      cwd: options.cwd,
      timeoutMs: options.timeoutMs ?? 15 * 60_000,
    });
    if (result.exitCode !== 0) {
      const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-4).join(' | ');
      throw new Error(`cdk synth failed (exit ${result.exitCode}): ${tail}`);
    }
    return assemblyFromDirectory(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Synthesizes git revision `ref` in a temporary worktree. The worktree borrows this checkout's
 * node_modules (a symlink) and its untracked `.env`, so both revisions see the same settings.
 */
export async function synthesizeRevision(runner: CommandRunner, ref: string, options: SynthOptions = {}): Promise<AssemblyInput> {
  const checkout = resolve(options.cwd ?? '.');
  const git = async (args: string[]) => {
    const r = await runner.run('git', args, { cwd: checkout, timeoutMs: 120_000 });
    if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
    return r.stdout.trim();
  };
  const commit = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => {
    throw new Error(`--against ${ref}: not a git revision here. Fix: a branch, tag or commit (e.g. main, HEAD~1), or "deployed"`);
  });
  const dir = mkdtempSync(join(tmpdir(), 'slipway-cost-rev-'));
  rmSync(dir, { recursive: true, force: true });
  await git(['worktree', 'add', '--detach', dir, commit]);
  try {
    symlinkSync(join(checkout, 'node_modules'), join(dir, 'node_modules'), 'dir');
    if (existsSync(join(checkout, '.env'))) copyFileSync(join(checkout, '.env'), join(dir, '.env'));
    return await synthesize(runner, { ...options, cwd: dir });
  } finally {
    await git(['worktree', 'remove', '--force', dir]).catch(() => rmSync(dir, { recursive: true, force: true }));
  }
}

/** The templates and parameters of the app's deployed stacks (stacks not deployed are skipped). */
export async function deployedAssembly(cfn: CloudFormationClient, appName: string, region: string): Promise<AssemblyInput> {
  const stacks: StackTemplate[] = [];
  for (const stackName of Object.values(stackNames(appName))) {
    let described;
    try {
      described = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    } catch (error) {
      if (/does not exist/.test((error as Error).message ?? '')) continue;
      throw error;
    }
    if (!described || described.StackStatus === 'DELETE_COMPLETE') continue;
    const body = (await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }))).TemplateBody ?? '{}';
    let template: CfnTemplate;
    try {
      template = JSON.parse(body) as CfnTemplate;
    } catch {
      throw new Error(`the deployed template of ${stackName} is not JSON (the kit deploys JSON templates); cannot price it`);
    }
    const parameters = Object.fromEntries((described.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
    stacks.push({ stackName, region, template, parameters });
  }
  if (stacks.length === 0) throw new Error(`--against deployed: no ${appName}-* stack is deployed in ${region}`);
  return { stacks };
}
