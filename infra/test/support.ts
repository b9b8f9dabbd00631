/** Shared test helpers: the example settings and a synthesized app in a temp folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addSlipwayStacks, type SlipwayStacks } from '../app.ts';
import { EXAMPLE_SETTINGS_CONTEXT_KEY, parseSettings, readCdkJsonContext, type SlipwayConfig } from '../config.ts';

/** cdk.json context: the example settings, feature flags and the example AZs. */
export const CDK_CONTEXT = readCdkJsonContext(resolve(import.meta.dirname, '../../cdk.json'));

export const EXAMPLE_SETTINGS = CDK_CONTEXT[EXAMPLE_SETTINGS_CONTEXT_KEY] as Record<string, string>;

/** The example config with some settings replaced. */
export function exampleConfig(overrides: Record<string, string> = {}): SlipwayConfig {
  return parseSettings({ ...EXAMPLE_SETTINGS, ...overrides });
}

export type StackKey = keyof SlipwayStacks;

export interface SynthesizedApp {
  readonly app: App;
  readonly config: SlipwayConfig;
  readonly stacks: SlipwayStacks;
  readonly templates: Record<StackKey, Template>;
  /** Removes the temp cloud assembly. */
  readonly cleanup: () => void;
}

/**
 * One App with all six stacks, synthesized into a temp folder. `context` replaces cdk.json
 * context keys (e.g. a feature flag).
 */
export function synthApp(overrides: Record<string, string> = {}, context: Record<string, unknown> = {}): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), 'slipway-cdk-'));
  // The built-in CloudFormation schema validation costs ~10 s per process; `cdk synth` (and
  // cli.test.ts) still runs it, these tests assert the templates directly.
  const app = new App({ context: { ...CDK_CONTEXT, ...context }, outdir, builtinCloudFormationValidation: false });
  const config = exampleConfig(overrides);
  const stacks = addSlipwayStacks(app, config);
  app.synth();
  const templates = Object.fromEntries(
    Object.entries(stacks).map(([key, stack]) => [key, Template.fromStack(stack)]),
  ) as Record<StackKey, Template>;
  return { app, config, stacks, templates, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** The single resource of a type whose properties match, with its logical id. */
export function onlyResource(template: Template, type: string, props?: object): { id: string; resource: any } {
  const found = template.findResources(type, props ? { Properties: props } : undefined);
  const ids = Object.keys(found);
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}: ${ids.join(', ')}`);
  return { id: ids[0], resource: found[ids[0]] };
}

/** The synthesized templates by CloudFormation stack name (what CloudFormation would hold). */
export function stackTemplates(synth: SynthesizedApp): Record<string, any> {
  return Object.fromEntries(
    (Object.keys(synth.stacks) as StackKey[]).map((key) => [synth.stacks[key].stackName, synth.templates[key].toJSON()]),
  );
}
