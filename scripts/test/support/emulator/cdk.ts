/**
 * The command runner for flows against the emulator: git answers with a fixed commit, the
 * image build "pushes" by putting the image into the emulator's ECR, and `cdk deploy` does
 * to the emulator what CloudFormation would: updates the service stack with the checkout's
 * template and the given parameters (the world rolls the services when it sees that update).
 * Every AWS effect is a
 * real call to the emulator; only the tools themselves are stand-ins.
 */
import { DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { IMAGE_TAG_PARAMETER, stackNames } from '../../../../infra/outputs.ts';
import { rmSync } from 'node:fs';
import type { CommandRunner, RunResult } from '../../../lib/runner.ts';
import { writeAssembly } from '../templates.ts';
import type { World } from './world.ts';

export interface EmulatorRunner extends CommandRunner {
  readonly calls: string[];
  /** The cloud assembly the last `cdk diff` synthesized (the deploy guard reads it). */
  readonly assemblyDir: string;
  /** Releases whose `cdk deploy` fails (the migration before the roll fails). */
  readonly failingTags: Set<string>;
}

const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });

/** `--parameters STACK:KEY=VALUE` pairs of a cdk command line. */
export function cdkParameters(args: readonly string[]): Map<string, Record<string, string>> {
  const byStack = new Map<string, Record<string, string>>();
  args.forEach((a, i) => {
    if (a !== '--parameters') return;
    const m = /^([^:]+):([^=]+)=(.*)$/.exec(args[i + 1] ?? '');
    if (!m) return;
    byStack.set(m[1]!, { ...(byStack.get(m[1]!) ?? {}), [m[2]!]: m[3]! });
  });
  return byStack;
}

const VALUE_FLAGS = new Set(['--parameters', '--require-approval', '--progress']);

/** The stack selectors of a cdk command line (what is not a flag or a flag's value). */
export function cdkStacks(args: readonly string[]): string[] {
  return args.filter((a, i) => !a.startsWith('--') && !VALUE_FLAGS.has(args[i - 1] ?? ''));
}

export async function deployServiceStack(world: World, parameters: Record<string, string>): Promise<void> {
  const { cfn } = world.emulator.clients;
  const name = stackNames(world.appName).service;
  const current = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;
  const keys = new Set([...(current.Parameters ?? []).map((p) => p.ParameterKey!), ...Object.keys(parameters)]);
  try {
    await cfn.send(new UpdateStackCommand({
      StackName: name,
      TemplateBody: world.serviceTemplate(world.checkout.templateVersion),
      Parameters: [...keys].map((k) => (k in parameters ? { ParameterKey: k, ParameterValue: parameters[k] } : { ParameterKey: k, UsePreviousValue: true })),
    }));
  } catch (error) {
    // cdk deploy reports an unchanged stack as success ("no changes").
    if (!/No updates are to be performed/.test((error as Error).message)) throw error;
  }
  // The world rolls the services when it sees the update (as the stack's resources would).
}

export function emulatorRunner(world: World): EmulatorRunner {
  const calls: string[] = [];
  const failingTags = new Set<string>();
  let assemblyDir = '';
  return {
    calls,
    failingTags,
    get assemblyDir() {
      return assemblyDir;
    },
    async run(command, args) {
      const line = [command, ...args].join(' ');
      calls.push(line);
      if (command === 'git' && args[0] === 'rev-parse') return ok('c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00\n');
      if (command === 'git' && args[0] === 'status') return ok('');
      if (command === 'docker' && (args[0] === 'info' || args[0] === 'login')) return ok('27.0.0');
      if (command === 'docker' && args[0] === 'buildx') {
        await world.pushImage(/:([^:\s]+)$/.exec(args[args.indexOf('-t') + 1]!)![1]!);
        return ok();
      }
      if (command === 'npx' && args[0] === 'cdk' && args[1] === 'diff') {
        // What synth of the checkout gives: the deployed stacks, the service stack at the checkout's version.
        rmSync(assemblyDir || '/nonexistent', { recursive: true, force: true });
        assemblyDir = writeAssembly(await world.synthesizedTemplates());
        return ok('There were no differences\n');
      }
      if (command === 'npx' && args[0] === 'cdk' && args[1] === 'deploy') {
        const names = stackNames(world.appName);
        const stacks = cdkStacks(args.slice(2));
        const parameters = cdkParameters(args);
        const service = parameters.get(names.service) ?? {};
        const tag = service[IMAGE_TAG_PARAMETER];
        if (tag && failingTags.has(tag)) return { exitCode: 1, stdout: '', stderr: `${names.service} failed: MigrateBeforeRoll: migrate up exited 1` };
        if (args.includes('--all') || stacks.includes(names.service)) await deployServiceStack(world, service);
        const observability = parameters.get(names.observability);
        if (observability && (args.includes('--all') || stacks.includes(names.observability))) {
          await world.emulator.clients.cfn.send(new UpdateStackCommand({
            StackName: names.observability,
            TemplateBody: world.observabilityTemplate,
            Parameters: Object.entries(observability).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
          }));
        }
        return ok(`deployed ${stacks.join(' ') || '--all'}`);
      }
      return { exitCode: 127, stdout: '', stderr: `emulator runner: no ${line}` };
    },
  };
}
