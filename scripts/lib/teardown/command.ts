/** `npm run teardown`: its flags and how they map to the flow's options. */
import type { SlipwayConfig } from '../../../infra/config.ts';
import { secondsFlag, stringFlag, UsageError, type CommandSpec, type Flags } from '../cli.ts';
import { PRICED_REGIONS, priceRegionProblem } from '../cost/price-table.ts';
import type { TeardownOptions } from './flow.ts';

export const TEARDOWN_SPEC: CommandSpec = {
  name: 'teardown',
  summary:
    'Remove a deployment. Without --confirm it only prints the plan: every stack and resource that would be deleted, every one that stays (retained by the templates, final snapshots, log groups AWS made) with why, and the monthly cost that stops. --confirm APP_NAME carries it out: protection off, the stacks deleted in order with progress, then a trial loses what they retained too (the database\'s final snapshot is kept), while production keeps the final snapshot and the data and prints the commands that remove them. Safe to run again after an interruption.',
  options: {
    confirm: { type: 'string', valueName: 'APP_NAME', description: 'Carry the plan out; must be the APP_NAME of the settings.' },
    production: { type: 'boolean', description: 'Required to tear down a production deployment (DEPLOY_PROFILE=production or stacks tagged so).' },
    'no-final-snapshot': { type: 'boolean', description: 'Trial only: delete the database\'s final snapshot as well.' },
    'dry-run': { type: 'boolean', description: 'Print the plan and check the flags, also with --confirm; change nothing.' },
    'stack-timeout': { type: 'string', valueName: 'S', default: '3600', description: 'Seconds one stack may take to delete.' },
    'database-timeout': { type: 'string', valueName: 'S', default: '1800', description: 'Seconds a database may take to drop its deletion protection.' },
    'price-region': { type: 'string', valueName: 'REGION', description: `Price the cost that stops with another region's table (as npm run cost): ${PRICED_REGIONS.join(', ')}.` },
  },
  examples: [
    'npm run teardown',
    'npm run teardown -- --json',
    'npm run teardown -- --confirm slipway',
    'npm run teardown -- --confirm slipway --no-final-snapshot',
    'npm run teardown -- --confirm slipway --production',
  ],
  notes: [
    'Termination protection and database deletion protection are switched off only by --confirm, stack by stack, just before each deletion.',
    'A trial teardown refuses to remove what the stacks retained until the database\'s final snapshot is found.',
    'npm run preflight reports what a teardown left behind (the same list) before the next deploy of the same APP_NAME.',
  ],
};

export function teardownOptionsFrom(flags: Flags, config: SlipwayConfig): TeardownOptions {
  const priceRegion = stringFlag(flags, 'price-region');
  const problem = priceRegion === undefined ? undefined : priceRegionProblem(priceRegion);
  if (problem) throw new UsageError(problem);
  return {
    config,
    confirm: stringFlag(flags, 'confirm'),
    production: Boolean(flags.production),
    noFinalSnapshot: Boolean(flags['no-final-snapshot']),
    dryRun: Boolean(flags['dry-run']),
    timeouts: { stackMs: secondsFlag(flags, 'stack-timeout') * 1000, databaseMs: secondsFlag(flags, 'database-timeout') * 1000 },
    priceRegion,
  };
}
