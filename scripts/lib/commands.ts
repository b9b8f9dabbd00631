/** Flag specs and flag-to-options mapping for deploy and rollback (main() stays thin). */
import { loadConfig, type SlipwayConfig } from '../../infra/config.ts';
import { IMAGE_TAG_PATTERN } from '../../infra/outputs.ts';
import { makeClients, type AwsClients } from './aws.ts';
import { ALLOW_OVER_BUDGET_OPTION } from './cost/budget.ts';
import { secondsFlag, stringFlag, UsageError, type CommandSpec, type Flags, type OptionSpec } from './cli.ts';
import type { DeployOptions } from './deploy.ts';
import type { Timeouts } from './release-flow.ts';
import type { RollbackOptions } from './rollback.ts';
import { personalAccessTokenFlag } from './smoke-command.ts';

/** The stacks other than the service roll: a first deploy's database and certificate take most of it. */
const OTHER_STACKS_MINUTES = 30;
/** One service's tasks started and healthy: the whole of a rolling update; blue/green adds its test checks and bake. */
const SERVICE_ROLL_MINUTES = 10;

/**
 * The default --deploy-timeout: the longest a healthy `cdk deploy` may take with these settings,
 * so the CLI is not stopped while a migration CloudFormation allows still runs or a blue/green
 * deployment still bakes. The migration may take MIGRATE_TIMEOUT_MINUTES; then the api and then
 * the web service roll (web depends on the api), and with blue/green each one's stack update
 * lasts until its bake time is over
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html).
 * A fixed hour did not cover a 55-minute migration, nor the production defaults' two bakes.
 */
export function defaultDeployTimeoutMinutes(config: SlipwayConfig): number {
  const { strategy, bakeTimeMinutes, testBudgetSeconds } = config.deployment;
  const perService = SERVICE_ROLL_MINUTES + (strategy === 'blue-green' ? Math.ceil(testBudgetSeconds / 60) + bakeTimeMinutes : 0);
  return OTHER_STACKS_MINUTES + config.services.migrateTimeoutMinutes + 2 * perService;
}

const TIMEOUT_OPTIONS: Record<string, OptionSpec> = {
  'deploy-timeout': {
    type: 'string',
    valueName: 'S',
    description:
      'Seconds cdk deploy may take. Default: from the settings, 30 min for the other stacks + MIGRATE_TIMEOUT_MINUTES + per service (api, then web) 10 min, and with blue-green GREEN_TEST_BUDGET_SECONDS + BAKE_TIME_MINUTES (95 min with the production defaults). If cdk deploy is stopped while CloudFormation is still updating, the command waits up to as long again for it to settle, then gates what the stack runs.',
  },
  'stable-timeout': { type: 'string', valueName: 'S', default: '1200', description: 'Seconds to wait for the services to be stable.' },
  'smoke-timeout': { type: 'string', valueName: 'S', default: '300', description: 'Seconds the smoke gate retries transient failures.' },
};

const SMOKE_TOKEN: OptionSpec = {
  type: 'string',
  valueName: 'PAT',
  env: 'SMOKE_TOKEN',
  description: 'Personal access token for the gate\'s authenticated checks (optional).',
};

export const DEPLOY_SPEC: CommandSpec = {
  name: 'deploy',
  summary:
    'Build the image (tagged with the git commit), push it to ECR, roll it through CDK (migrations run before the services roll), wait for stable services and smoke-gate the public URL. A failed gate rolls back to the previous release automatically and exits 1.',
  options: {
    'dry-run': { type: 'boolean', description: 'Print the plan and the cdk diff; change nothing.' },
    'allow-dirty': { type: 'boolean', description: 'Deploy a work tree with uncommitted changes (tag gets a -dirty-TIME suffix).' },
    'allow-stateful-replacement': { type: 'boolean', description: 'Go ahead even though the diff replaces or deletes a database, cache, bucket or secret.' },
    'allow-over-budget': ALLOW_OVER_BUDGET_OPTION,
    release: { type: 'string', valueName: 'TAG', description: 'Deploy an image already in ECR under this tag instead of building.' },
    'smoke-token': SMOKE_TOKEN,
    'no-rollback': { type: 'boolean', description: 'Do not roll back automatically when the gate fails.' },
    restart: { type: 'boolean', description: 'No new release: replace the api and web tasks on the running one (they re-read their secrets) through CDK, then gate.' },
    ...TIMEOUT_OPTIONS,
  },
  examples: ['npm run deploy -- --dry-run', 'npm run deploy', 'npm run deploy -- --release 3f2a9c1d0e4b --json', 'npm run deploy -- --restart'],
  notes: ['Settings come from .env, the environment and cdk.json context (see infra/README.md).'],
};

export const ROLLBACK_SPEC: CommandSpec = {
  name: 'rollback',
  summary:
    'Roll the service stack back to the previous release that passed its gate (or --to RELEASE) through CDK, smoke-gate it and record it in the release history.',
  options: {
    to: { type: 'string', valueName: 'RELEASE', description: 'The release (image tag) to roll to. Default: the previous good release.' },
    list: { type: 'boolean', description: 'Print the release history (newest first) and where a rollback would go; change nothing.' },
    'dry-run': { type: 'boolean', description: 'Print the target, the diff of the service stack and the change-safety check the rollback makes; change nothing.' },
    'allow-stateful-replacement': DEPLOY_SPEC.options['allow-stateful-replacement']!,
    'smoke-token': SMOKE_TOKEN,
    ...TIMEOUT_OPTIONS,
  },
  examples: ['npm run rollback -- --list', 'npm run rollback -- --dry-run', 'npm run rollback', 'npm run rollback -- --to 3f2a9c1d0e4b'],
};

export function timeoutsFrom(flags: Flags, config: SlipwayConfig): Timeouts {
  return {
    deployMs: (flags['deploy-timeout'] === undefined ? defaultDeployTimeoutMinutes(config) * 60 : secondsFlag(flags, 'deploy-timeout')) * 1000,
    stableMs: secondsFlag(flags, 'stable-timeout') * 1000,
    smokeMs: secondsFlag(flags, 'smoke-timeout') * 1000,
  };
}

const TAG_RE = new RegExp(IMAGE_TAG_PATTERN);

function tagFlag(flags: Flags, name: string): string | undefined {
  const tag = stringFlag(flags, name);
  if (tag !== undefined && !TAG_RE.test(tag)) {
    throw new UsageError(`--${name} ${JSON.stringify(tag)} is not an image tag (letters, digits, _ . -; at most 128), e.g. 3f2a9c1d0e4b`);
  }
  return tag;
}

export function deployOptionsFrom(flags: Flags, config: SlipwayConfig): DeployOptions {
  if (flags.restart) {
    const clash = ['release', 'allow-dirty', 'dry-run', 'no-rollback'].filter((f) => flags[f] !== undefined && flags[f] !== false);
    if (clash.length) throw new UsageError(`--restart restarts the running release; it takes no ${clash.map((f) => `--${f}`).join(', ')}`);
  }
  return {
    config,
    dryRun: Boolean(flags['dry-run']),
    allowDirty: Boolean(flags['allow-dirty']),
    allowStatefulReplacement: Boolean(flags['allow-stateful-replacement']),
    allowOverBudget: Boolean(flags['allow-over-budget']),
    release: tagFlag(flags, 'release'),
    smokeToken: personalAccessTokenFlag(flags, 'smoke-token'),
    autoRollback: !flags['no-rollback'],
    timeouts: timeoutsFrom(flags, config),
  };
}

export function rollbackOptionsFrom(flags: Flags, config: SlipwayConfig): RollbackOptions {
  return {
    config,
    to: tagFlag(flags, 'to'),
    dryRun: Boolean(flags['dry-run']),
    allowStatefulReplacement: Boolean(flags['allow-stateful-replacement']),
    smokeToken: personalAccessTokenFlag(flags, 'smoke-token'),
    timeouts: timeoutsFrom(flags, config),
  };
}

/** The operator's settings and real AWS clients for the configured region. */
export function loadContext(): { config: SlipwayConfig; clients: AwsClients } {
  const config = loadConfig();
  return { config, clients: makeClients(config.region) };
}
