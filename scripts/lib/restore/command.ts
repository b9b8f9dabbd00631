/** Flags of `npm run restore-drill` and their mapping to the flows. */
import type { SlipwayConfig } from '../../../infra/config.ts';
import { intFlag, secondsFlag, stringFlag, UsageError, type CommandResult, type CommandSpec, type Flags } from '../cli.ts';
import { cleanupDrills } from './cleanup.ts';
import { rollbackCutover } from './cutover.ts';
import { runDrill } from './drill.ts';
import { ACCEPT_FLAG } from './newer-writes.ts';
import type { DrillOptions, RestoreDeps } from './options.ts';
import { restoreTimeFlag } from './restore-time.ts';

export const RESTORE_SPEC: CommandSpec = {
  name: 'restore-drill',
  summary:
    'RDS point-in-time restore drill: restore the database to a new private instance, validate it from inside the VPC against the source, record RPO and RTO in a report under drills/ in the attachments bucket, then delete the restored instance. --cutover points the app at it instead; --rollback undoes a cutover; --cleanup removes abandoned drill instances.',
  options: {
    'restore-time': { type: 'string', valueName: 'ISO', description: 'Restore to this time: ISO 8601 with Z or an offset, e.g. 2026-01-31T09:30:00Z. Default: the latest restorable time.' },
    'instance-class': { type: 'string', valueName: 'CLASS', description: 'Instance class of the restored copy. Default: the source\'s.' },
    'multi-az': { type: 'boolean', description: 'Make the restored instance Multi-AZ (for a cutover to production).' },
    keep: { type: 'boolean', description: 'Keep the restored instance after a passing drill.' },
    cutover: { type: 'boolean', description: 'After validation, point the app at the restored instance, restart the services and smoke-gate. Refused while the api writes (stop writes first, or --accept-newer-writes-lost). With --restore-time the copy may be at an earlier migration and hold other rows (reported, not gated).' },
    'accept-newer-writes-lost': {
      type: 'boolean',
      description:
        'With --cutover: go ahead although the api is writing (or wrote after the restore point). What it writes after the restore point until the cutover\'s restart stays on the original only; the report lists the row differences per table. Without it, stop writes first (the api to 0 tasks, see the runbook).',
    },
    rollback: { type: 'boolean', description: 'Point the app back at the endpoint recorded before the last cutover.' },
    cleanup: { type: 'boolean', description: 'Delete abandoned drill instances (only those the drill tagged; never the one cut over to).' },
    'skip-row-counts': { type: 'boolean', description: 'Validate migrations only (for an app image without the stats command).' },
    'max-row-drift': { type: 'string', valueName: 'N', default: '100', description: 'Rows per table the restored copy may differ from the source (writes after the restore point).' },
    'dry-run': { type: 'boolean', description: 'Print the plan; change nothing.' },
    'smoke-token': { type: 'string', valueName: 'PAT', env: 'SMOKE_TOKEN', description: 'Personal access token for the gate after a cutover or rollback.' },
    'available-timeout': { type: 'string', valueName: 'S', default: '5400', description: 'Seconds to wait for the restored instance to be available.' },
    'validate-timeout': { type: 'string', valueName: 'S', default: '1200', description: 'Seconds each validation task may run.' },
    'stable-timeout': { type: 'string', valueName: 'S', default: '1200', description: 'Seconds to wait for the services after a cutover or rollback.' },
    'smoke-timeout': { type: 'string', valueName: 'S', default: '300', description: 'Seconds the smoke gate retries transient failures.' },
  },
  examples: [
    'npm run restore-drill -- --dry-run',
    'npm run restore-drill',
    'npm run restore-drill -- --restore-time 2026-01-31T09:30:00Z --keep',
    'npm run restore-drill -- --cutover --multi-az',
    'npm run restore-drill -- --restore-time 2026-01-31T09:30:00Z --cutover --accept-newer-writes-lost',
    'npm run restore-drill -- --rollback',
    'npm run restore-drill -- --cleanup',
  ],
};

export function drillOptionsFrom(flags: Flags, config: SlipwayConfig): DrillOptions {
  const modes = ['cutover', 'rollback', 'cleanup'].filter((m) => flags[m]);
  if (modes.length > 1) throw new UsageError(`--${modes.join(' and --')} cannot be combined: pick one`);
  if ((flags.rollback || flags.cleanup) && (flags['restore-time'] || flags['instance-class'] || flags.keep || flags['multi-az'])) {
    throw new UsageError(`--${flags.rollback ? 'rollback' : 'cleanup'} takes no restore flags (--restore-time, --instance-class, --keep, --multi-az)`);
  }
  if (flags['accept-newer-writes-lost'] && !flags.cutover) {
    throw new UsageError(`${ACCEPT_FLAG} goes with --cutover only: it accepts that the writes after the restore point stay on the original, which only a cutover leaves behind`);
  }
  const instanceClass = stringFlag(flags, 'instance-class');
  if (instanceClass !== undefined && !/^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceClass)) {
    throw new UsageError(`--instance-class ${JSON.stringify(instanceClass)} is not an RDS instance class (db.<family>.<size>), e.g. db.t4g.medium`);
  }
  return {
    config,
    restoreTime: restoreTimeFlag(flags),
    instanceClass,
    multiAz: Boolean(flags['multi-az']),
    keep: Boolean(flags.keep),
    cutover: Boolean(flags.cutover),
    acceptNewerWritesLost: Boolean(flags['accept-newer-writes-lost']),
    skipRowCounts: Boolean(flags['skip-row-counts']),
    maxRowDrift: intFlag(flags, 'max-row-drift', 0) ?? 100,
    dryRun: Boolean(flags['dry-run']),
    smokeToken: stringFlag(flags, 'smoke-token'),
    timeouts: {
      availableMs: secondsFlag(flags, 'available-timeout') * 1000,
      validateMs: secondsFlag(flags, 'validate-timeout') * 1000,
      stableMs: secondsFlag(flags, 'stable-timeout') * 1000,
      smokeMs: secondsFlag(flags, 'smoke-timeout') * 1000,
    },
  };
}

export function restoreFlow(flags: Flags, options: DrillOptions, deps: RestoreDeps): Promise<CommandResult> {
  if (flags.cleanup) return cleanupDrills(options, deps);
  if (flags.rollback) return rollbackCutover(options, deps);
  return runDrill(options, deps);
}
