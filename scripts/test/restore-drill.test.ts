import { afterEach, describe, expect, it } from 'vitest';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { parseSettings, settingsSchema } from '../../infra/config.ts';
import { parseFlags, UsageError } from '../lib/cli.ts';
import { fakeClock } from '../lib/wait.ts';
import { drillOptionsFrom, RESTORE_SPEC } from '../lib/restore/command.ts';
import { cleanupDrills } from '../lib/restore/cleanup.ts';
import { rollbackCutover } from '../lib/restore/cutover.ts';
import { assertDeletable } from '../lib/restore/deletion.ts';
import { drillNames, randomSuffix, RDS_IDENTIFIER } from '../lib/restore/identifiers.ts';
import { runDrill } from '../lib/restore/drill.ts';
import type { DrillOptions } from '../lib/restore/options.ts';
import { APP_SECRET_ARN, DRILL_TAGS, makeRestoreWorld, SOURCE, type RestoreScenario } from './support/restore-world.ts';
import { quoted, quotePattern } from './support/runbook-text.ts';
import { testConfig } from './support/world.ts';

const RESTORED = 'slipway-restore-20260302100000-k3f9';
const DRILL = 'drill-20260302100000-k3f9';

function options(o: Partial<DrillOptions> = {}): DrillOptions {
  return {
    config: testConfig(),
    multiAz: false,
    keep: false,
    cutover: false,
    skipRowCounts: false,
    maxRowDrift: 100,
    dryRun: false,
    timeouts: { availableMs: 3_600_000, validateMs: 600_000, stableMs: 600_000, smokeMs: 60_000 },
    ...o,
  };
}

let world: ReturnType<typeof makeRestoreWorld>;
function setup(s: Partial<RestoreScenario> = {}) {
  world = makeRestoreWorld(s);
  return world;
}

// Invariant for every test: nothing is deleted that the drill did not create.
afterEach(() => {
  for (const id of world.deleted) {
    const tags = Object.fromEntries((world.instances.get(id)?.TagList ?? []).map((t) => [t.Key, t.Value]));
    expect(tags['slipway:restore-drill'], `${id} was deleted without the drill tag`).toBeTruthy();
    expect(tags['slipway:app']).toBe('slipway');
    expect(id).not.toBe(SOURCE);
  }
});

describe('restore drill', () => {
  it('restores privately, validates from the VPC, reports RPO/RTO to S3 and deletes the copy', async () => {
    setup();
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(true);
    expect(result.summary).toBe(`drill passed: RPO 5m00s, RTO 2m10s; ${RESTORED} deleted`);
    expect(world.restoreRequests[0]).toMatchObject({
      SourceDBInstanceIdentifier: SOURCE,
      TargetDBInstanceIdentifier: RESTORED,
      UseLatestRestorableTime: true,
      DBInstanceClass: 'db.t4g.medium',
      DBSubnetGroupName: 'slipway-db-subnets',
      VpcSecurityGroupIds: ['sg-db'],
      DBParameterGroupName: 'slipway-pg17',
      PubliclyAccessible: false,
      MultiAZ: false,
      Tags: expect.arrayContaining(DRILL_TAGS(DRILL)),
    });
    // the validation task definition points DB_HOST at the restored copy as a plain value
    const registered = world.registered[0] as { family: string; containerDefinitions: Array<{ environment: unknown[]; secrets: Array<{ name: string }> }> };
    expect(registered.family).toBe('slipway-migrate-restore-drill');
    expect(registered.containerDefinitions[0]!.environment).toContainEqual({ name: 'DB_HOST', value: `${RESTORED}.db.internal` });
    expect(registered.containerDefinitions[0]!.secrets.map((s) => s.name)).toEqual(['DB_PASSWORD']);
    expect([...world.tasks.values()].map((t) => `${t.db}: ${t.command}`)).toEqual(['restored: migrate status', 'restored: stats', 'source: migrate status', 'source: stats']);
    expect(world.deregistered).toEqual(['arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-migrate-restore-drill:1']);
    expect(world.deleted).toEqual([RESTORED]);
    expect(world.puts.map((p) => p.Key)).toEqual([`drills/${DRILL}/report.json`, `drills/${DRILL}/report.md`]);
    const report = JSON.parse(world.puts[0]!.Body) as Record<string, unknown>;
    expect(report).toMatchObject({ rpoSeconds: 300, lookBackSeconds: 300, rtoSeconds: 130, validation: 'passed', restorePoint: '2026-03-02T09:55:00.000Z', earliestRestorableTime: '2026-02-23T10:03:00.000Z' });
    expect(world.puts[1]!.Body).toContain('| issues | 1500 | 1490 | 10 |');
    expect(world.out.join('')).toContain(`… waiting for ${RESTORED} to be available: creating (0s elapsed)`);
  });

  it('a restore that never becomes available times out, deletes its own instance and exits non-zero', async () => {
    setup({ pollsUntilAvailable: Infinity });
    const result = await runDrill(options({ timeouts: { ...options().timeouts, availableMs: 600_000 } }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `restore of ${SOURCE} did not become available (timed out after 10m00s waiting for ${RESTORED} to be available (last status: backing-up)); the drill's instance ${RESTORED} was deleted`,
    );
    expect(world.deleted).toEqual([RESTORED]);
    expect(world.registered).toHaveLength(0);
  });

  it.each(['restore-error', 'insufficient-capacity', 'inaccessible-encryption-credentials', 'storage-full'])('a restore that ends in %s fails at once with the status, not after the timeout', async (status) => {
    setup({ pollsUntilAvailable: Infinity, endsIn: status });
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(new RegExp(`^restore of ${SOURCE} did not become available \\(${RESTORED} to be available failed: status ${status} \\(`));
    // two polls 30 s apart, not the hour the timeout allows
    expect(JSON.parse(world.puts[0]!.Body)).toMatchObject({ validation: 'not-run' });
    expect(world.clock.now() - Date.parse('2026-03-02T10:00:00Z')).toBeLessThan(120_000);
    expect(world.deleted).toEqual([RESTORED]);
  });

  it('a timed-out restore that RDS will not delete yet says how to clean it up later', async () => {
    setup({ pollsUntilAvailable: Infinity, deleteRefused: true });
    const result = await runDrill(options({ timeouts: { ...options().timeouts, availableMs: 600_000 } }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(new RegExp(`could not delete ${RESTORED} \\(RDS will not delete it while it is backing-up \\(Instance is not in available state\\)\\): npm run restore-drill -- --cleanup again once it has settled$`));
    expect(world.puts.map((p) => p.Key)).toContain(`drills/${DRILL}/report.json`);
  });

  it('a passed drill whose final delete is refused still writes its report and says what is left', async () => {
    setup({ deleteRefused: true });
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(new RegExp(`^drill passed \\(RPO 5m00s, RTO 2m10s\\) but ${RESTORED} could not be deleted \\(RDS will not delete it while it is available`));
    expect(JSON.parse(world.puts[0]!.Body)).toMatchObject({ validation: 'passed', problems: [expect.stringContaining(`could not delete ${RESTORED}`)] });
  });

  it('an error after the restore was requested still writes the report and keeps the copy', async () => {
    setup({ registerFails: true });
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(`drill ${DRILL} stopped after the restore was requested (ClientException: Too many concurrent attempts to create a new revision of the specified family.); ${RESTORED} is kept for inspection: delete it with npm run restore-drill -- --cleanup`);
    expect(world.puts.map((p) => p.Key)).toContain(`drills/${DRILL}/report.json`);
    expect(world.deleted).toEqual([]);
  });

  it('a validation mismatch exits non-zero and keeps the instance for inspection, saying so', async () => {
    setup({ counts: { source: { workspaces: 4, users: 20, issues: 1500, comments: 3000, attachments: 40 }, restored: { workspaces: 4, users: 20, issues: 12, comments: 3000, attachments: 40 } } });
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `validation of ${RESTORED} failed (issues: source 1500, restored 12 (drift 1488 > 100)); the instance is KEPT for inspection: delete it with npm run restore-drill -- --cleanup`,
    );
    expect(world.deleted).toEqual([]);
    expect(JSON.parse(world.puts[0]!.Body)).toMatchObject({ validation: 'failed' });
  });

  it('compares every table the stats command counts (comments and attachments too)', async () => {
    setup({ counts: { source: { workspaces: 4, users: 20, issues: 1500, comments: 3000, attachments: 40 }, restored: { workspaces: 4, users: 20, issues: 1500, comments: 2500, attachments: 40 } } });
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('comments: source 3000, restored 2500 (drift 500 > 100)');
  });

  it('a stats line without a counted table names the missing tables', async () => {
    setup({ counts: { source: { workspaces: 4, users: 20, issues: 1500 }, restored: { workspaces: 4, users: 20, issues: 1500 } } });
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('source: stats gave no count for comments, attachments (an image older than this kit? pass --skip-row-counts to validate migrations only)');
  });

  it('an app image without the stats command fails validation with the way out; --skip-row-counts validates migrations only', async () => {
    setup({ noStats: true });
    const failed = await runDrill(options(), world.deps);
    expect(failed.summary).toContain('restored: the app image has no `stats` command, so row counts cannot be compared (pass --skip-row-counts to validate migrations only)');
    setup({ noStats: true });
    const passed = await runDrill(options({ skipRowCounts: true }), world.deps);
    expect(passed.ok).toBe(true);
    expect([...world.tasks.values()].map((t) => t.command)).toEqual(['migrate status', 'migrate status']);
  });

  it('--keep keeps a passing copy; --restore-time and --instance-class are passed through', async () => {
    setup();
    const result = await runDrill(options({ keep: true, restoreTime: new Date('2026-03-01T08:00:00Z'), instanceClass: 'db.t4g.small', multiAz: true }), world.deps);
    expect(result.summary).toBe(`drill passed: RPO 5m00s (restored 26h00m back, to 2026-03-01T08:00:00.000Z), RTO 2m10s; ${RESTORED} kept (--keep)`);
    expect(world.restoreRequests[0]).toMatchObject({ RestoreTime: new Date('2026-03-01T08:00:00Z'), DBInstanceClass: 'db.t4g.small', MultiAZ: true });
    expect(world.restoreRequests[0]).not.toHaveProperty('UseLatestRestorableTime');
    expect(world.deleted).toEqual([]);
  });

  it('two drills started in the same second restore to instances of their own', async () => {
    setup();
    const first = await runDrill(options({ keep: true }), world.deps);
    // the second one starts at the same instant as the first
    const second = await runDrill(options({ keep: true }), { ...world.deps, clock: fakeClock(Date.parse('2026-03-02T10:00:00Z')) });
    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(world.restoreRequests.map((r) => (r as { TargetDBInstanceIdentifier: string }).TargetDBInstanceIdentifier)).toEqual([
      RESTORED,
      'slipway-restore-20260302100000-p2x7',
    ]);
  });

  it('draws another name when the first one is taken', async () => {
    setup({ extraInstances: [{ DBInstanceIdentifier: RESTORED, DBInstanceStatus: 'available', TagList: DRILL_TAGS(DRILL) }] });
    const result = await runDrill(options({ dryRun: true }), world.deps);
    expect(result.summary).toBe(`dry run: would restore ${SOURCE} as slipway-restore-20260302100000-p2x7; nothing was changed`);
  });

  it('with --restore-time the report keeps the data-loss RPO apart from the chosen look-back', async () => {
    setup();
    await runDrill(options({ keep: true, restoreTime: new Date('2026-03-01T08:00:00Z') }), world.deps);
    const report = JSON.parse(world.puts[0]!.Body) as Record<string, unknown>;
    expect(report).toMatchObject({ rpoSeconds: 300, lookBackSeconds: 93_600, restorePoint: '2026-03-01T08:00:00.000Z', latestRestorableTime: '2026-03-02T09:55:00.000Z' });
    expect(world.puts[1]!.Body).toContain('| look-back (restore request minus restore point: chosen, not data loss) | 26h00m |');
  });

  it('refuses a restore time after the latest restorable time', async () => {
    setup();
    await expect(runDrill(options({ restoreTime: new Date('2026-03-02T09:59:00Z') }), world.deps)).rejects.toThrow(
      '--restore-time 2026-03-02T09:59:00.000Z is after the latest restorable time 2026-03-02T09:55:00.000Z. Fix: use a time between 2026-02-23T10:03:00.000Z and 2026-03-02T09:55:00.000Z, or omit it for the latest',
    );
  });

  it('refuses a restore time before the earliest restorable time, before restoring anything', async () => {
    setup();
    await expect(runDrill(options({ restoreTime: new Date('2026-02-20T00:00:00Z') }), world.deps)).rejects.toThrow(
      '--restore-time 2026-02-20T00:00:00.000Z is before the earliest restorable time 2026-02-23T10:03:00.000Z (automated backups are kept 7 days). Fix: use a time between 2026-02-23T10:03:00.000Z and 2026-03-02T09:55:00.000Z',
    );
    expect(world.restoreRequests).toEqual([]);
  });

  it('estimates the earliest restorable time from the retention period when RDS does not report it', async () => {
    setup({ reportsRestoreWindow: false });
    await expect(runDrill(options({ restoreTime: new Date('2026-02-20T00:00:00Z') }), world.deps)).rejects.toThrow(
      'is before the earliest restorable time 2026-02-23T09:55:00.000Z (automated backups are kept 7 days). Fix: use a time between 2026-02-23T09:55:00.000Z (estimated) and',
    );
  });

  it('--dry-run restores nothing', async () => {
    setup();
    const result = await runDrill(options({ dryRun: true }), world.deps);
    expect(result.summary).toBe(`dry run: would restore ${SOURCE} as ${RESTORED}; nothing was changed`);
    expect(world.restoreRequests).toEqual([]);
  });
});

describe('cutover and rollback', () => {
  it('cutover records the old endpoint first, repoints the secret, restarts the services and gates; rollback undoes it', async () => {
    setup();
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: `cut over to ${RESTORED}; smoke gate passed; undo with npm run restore-drill -- --rollback` });
    expect(world.order.filter((o) => !o.startsWith('ecs:'))).toEqual([`rds:modify ${RESTORED}`, 'ssm:put', 'secret:put', 'cdk:restart', `rds:modify ${RESTORED}`]);
    expect(world.modifications.at(-1)).toEqual({ DBInstanceIdentifier: RESTORED, DeletionProtection: true, ApplyImmediately: true });
    expect(world.secret()).toMatchObject({ host: `${RESTORED}.db.internal`, port: 5432, dbInstanceIdentifier: RESTORED, password: 'pw' });
    expect(JSON.parse(world.params.get('/slipway/restore/cutover')!)).toMatchObject({ previousHost: 'source.db.internal', previousInstance: SOURCE, restoredInstance: RESTORED });
    // restarted through CDK: same release, a new RolloutId
    expect(world.restarts).toEqual(['--parameters slipway-service:ImageTag=r7 --parameters slipway-service:RolloutId=restart-20260302T100210']);
    expect(world.gates).toEqual([{ host: `${RESTORED}.db.internal`, release: 'r7' }]);
    expect(world.deleted).toEqual([]);

    // the instance the app uses is not cleaned up
    const cleanup = await cleanupDrills(options(), world.deps);
    expect(cleanup.summary).toBe(`deleted 0 drill instance(s); kept ${RESTORED} (the app is cut over to it: roll back first (--rollback))`);

    const back = await rollbackCutover(options(), world.deps);
    expect(back).toMatchObject({ ok: true, summary: `rolled back to source.db.internal; smoke gate passed; ${RESTORED} is kept until --cleanup and alone holds the writes made while cut over (--cleanup keeps a final snapshot of it)` });
    expect(world.secret()).toMatchObject({ host: 'source.db.internal', dbInstanceIdentifier: SOURCE });
    expect(world.params.has('/slipway/restore/cutover')).toBe(false);
    expect(world.deleted).toEqual([]);
  });

  it('a copy that served production keeps its writes after a rollback: --cleanup takes a final snapshot and keeps its automated backups', async () => {
    setup();
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(world.tagChanges).toContain(`add slipway:served-production=2026-03-02T10:02:10.000Z ${RESTORED}`);
    world.clock.advance(3 * 86_400_000);
    await rollbackCutover(options(), world.deps);
    expect(world.tagChanges).toContain(`add slipway:served-production-until=2026-03-05T10:02:10.000Z ${RESTORED}`);
    const dry = await cleanupDrills(options({ dryRun: true }), world.deps);
    expect(world.out.join('')).toContain(`· ${RESTORED}: would delete (drill ${DRILL}, available) with final snapshot ${RESTORED}-final, automated backups kept: it served production from 2026-03-02T10:02:10.000Z to 2026-03-05T10:02:10.000Z, so the writes of that time are only there`);
    expect(dry.summary).toBe('dry run: would delete 1 drill instance(s); nothing was changed');
    const result = await cleanupDrills(options(), world.deps);
    expect(world.deleteRequests).toEqual([{ DBInstanceIdentifier: RESTORED, SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: `${RESTORED}-final`, DeleteAutomatedBackups: false }]);
    expect(result.summary).toBe(`deleted 1 drill instance(s); kept final snapshot(s) ${RESTORED}-final of ${RESTORED} (served production; delete them once reconciled)`);
    expect(world.out.join('')).toContain(`✓ ${RESTORED}: deleting with final snapshot ${RESTORED}-final, automated backups kept: it served production from 2026-03-02T10:02:10.000Z to 2026-03-05T10:02:10.000Z, so the writes of that time are only there (drill ${DRILL})`);
  });

  it('a copy that never served (its cutover stopped before the restart) is deleted without a snapshot', async () => {
    setup({ appLogin: true, appRoleFailsOn: 'copy' });
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(world.tagChanges.filter((t) => t.includes('served-production'))).toEqual([]);
    await cleanupDrills(options(), world.deps);
    expect(world.deleteRequests).toEqual([{ DBInstanceIdentifier: RESTORED, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }]);
  });

  it('a cutover to an earlier point accepts fewer migrations and different rows, and reports the differences', async () => {
    const earlier = { migrations: { source: [1, 2, 3], restored: [1, 2] }, counts: { source: { workspaces: 4, users: 20, issues: 1500, comments: 3000, attachments: 40 }, restored: { workspaces: 4, users: 20, issues: 200, comments: 3000, attachments: 40 } } };
    setup(earlier);
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true, restoreTime: new Date('2026-03-01T08:00:00Z') }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: `cut over to ${RESTORED}; smoke gate passed; undo with npm run restore-drill -- --rollback` });
    expect(JSON.parse(world.puts[0]!.Body)).toMatchObject({
      validation: 'passed',
      notes: ['the copy is before migration(s) 3: the running release must not need them (roll it back first if it does)', 'issues: source 1500, copy 200 (1300 fewer)'],
    });
    // a drill of the same copy stays strict
    setup(earlier);
    const drill = await runDrill(options({ restoreTime: new Date('2026-03-01T08:00:00Z') }), world.deps);
    expect(drill.summary).toContain('migrations differ: source has [1,2,3], restored has [1,2]; issues: source 1500, restored 200 (drift 1300 > 100)');
  });

  it('a cutover refuses a copy whose migrations are not an earlier state of the source\'s', async () => {
    setup({ migrations: { source: [1, 2, 3], restored: [1, 2, 4] } });
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true, restoreTime: new Date('2026-03-01T08:00:00Z') }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('the copy\'s migrations [1,2,4] are not an earlier state of the source\'s [1,2,3]');
    expect(world.secretWrites).toEqual([]);
  });

  it('a copy for a cutover is set up like the source: IAM auth, log exports, storage autoscaling, CA, backups, Multi-AZ, Performance Insights', async () => {
    setup();
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(world.restoreRequests[0]).toMatchObject({
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      MaxAllocatedStorage: 100,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      BackupRetentionPeriod: 7,
      MultiAZ: true,
      StorageType: 'gp3',
    });
    expect(world.modifications).toContainEqual(expect.objectContaining({ DBInstanceIdentifier: RESTORED, ApplyImmediately: true, EnablePerformanceInsights: true, PerformanceInsightsRetentionPeriod: 7 }));
  });

  it('a drill copy gets what validation needs (CA, IAM auth, storage autoscaling) but no log exports or Performance Insights', async () => {
    setup();
    await runDrill(options(), world.deps);
    expect(world.restoreRequests[0]).toMatchObject({ EnableIAMDatabaseAuthentication: true, MaxAllocatedStorage: 100, CACertificateIdentifier: 'rds-ca-rsa2048-g1', MultiAZ: false });
    expect(world.restoreRequests[0]).not.toHaveProperty('EnableCloudwatchLogsExports');
    expect(world.modifications.filter((m) => 'EnablePerformanceInsights' in m)).toEqual([]);
  });

  it('sets the copy\'s master password from the database secret before validating it', async () => {
    setup();
    world.rotate('rotated-since-the-restore-point');
    await runDrill(options(), world.deps);
    expect(world.modifications[0]).toMatchObject({ DBInstanceIdentifier: RESTORED, ApplyImmediately: true, MasterUserPassword: 'rotated-since-the-restore-point' });
    expect(world.order.indexOf(`rds:modify ${RESTORED}`)).toBeLessThan(world.order.indexOf('ecs:run'));
  });

  it('rollback gives the original the password rotations set on the copy while cut over, before repointing the secret', async () => {
    setup();
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    world.rotate('rotated-while-cut-over');
    world.order.length = 0;
    await rollbackCutover(options(), world.deps);
    expect(world.modifications).toContainEqual({ DBInstanceIdentifier: SOURCE, ApplyImmediately: true, MasterUserPassword: 'rotated-while-cut-over' });
    expect(world.order).toEqual([`rds:modify ${SOURCE}`, 'secret:put', 'cdk:restart', `rds:modify ${RESTORED}`]);
    expect(world.modifications.at(-1)).toEqual({ DBInstanceIdentifier: RESTORED, DeletionProtection: false, ApplyImmediately: true });
    expect(world.secret()).toMatchObject({ host: 'source.db.internal', password: 'rotated-while-cut-over' });
  });

  it('refuses to cut over or back while a rotation of the secret is half done', async () => {
    setup();
    world.setRotationPending(true);
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('a rotation of arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf is in progress (a version is staged AWSPENDING). Fix: wait until it finishes');
    expect(world.secretWrites).toEqual([]);
  });

  it('a cutover whose gate fails is rolled back automatically and exits non-zero', async () => {
    setup({ gateFailsOnRestored: true });
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `cutover to ${RESTORED} failed (ready: GET /api/readyz, every check ok (not ready: migrations (1 pending))); rolled back to source.db.internal; smoke gate passed; ${RESTORED} is kept until --cleanup and alone holds the writes made while cut over (--cleanup keeps a final snapshot of it)`,
    );
    expect(world.secret()).toMatchObject({ host: 'source.db.internal' });
    expect(world.gates.map((g) => g.host)).toEqual([`${RESTORED}.db.internal`, 'source.db.internal']);
  });

  it('the database alarms follow the instance in use: to the copy on cutover, back on rollback', async () => {
    setup();
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(world.alarmTargets).toEqual([RESTORED]);
    await rollbackCutover(options(), world.deps);
    expect(world.alarmTargets).toEqual([RESTORED, SOURCE]);
  });

  it('a drill while cut over restores from the copy the app uses, not the abandoned original', async () => {
    setup();
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    const drill = await runDrill(options(), world.deps);
    expect(drill.ok, drill.summary).toBe(true);
    expect(world.restoreRequests[1]).toMatchObject({ SourceDBInstanceIdentifier: RESTORED, TargetDBInstanceIdentifier: 'slipway-restore-20260302100210-p2x7' });
    expect(world.out.join('')).toContain(`· cutover active: the app uses ${RESTORED} (drill ${DRILL}), so the drill restores from it`);
    expect(world.deleted).toEqual(['slipway-restore-20260302100210-p2x7']);
  });

  it('refuses a second cutover and a rollback with nothing recorded', async () => {
    setup();
    await expect(rollbackCutover(options(), world.deps)).rejects.toThrow('no cutover is recorded under /slipway/restore/cutover: nothing to roll back');
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    await expect(runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps)).rejects.toThrow(
      `the app is already cut over to ${RESTORED} (drill ${DRILL}). Fix: npm run restore-drill -- --rollback first`,
    );
  });
});

describe('cutover and rollback with the api\'s own login', () => {
  const COPY_HOST = `${RESTORED}.db.internal`;
  const appRoleFix = 'the app is rolled back to the original';

  it('cutover repoints both secrets, then sets up the api login on the copy with the migrate task, then restarts', async () => {
    setup({ appLogin: true });
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: `cut over to ${RESTORED}; smoke gate passed; undo with npm run restore-drill -- --rollback` });
    // once in the validation (the drill's task definition, pointed at the copy), once after the secrets moved
    expect(world.order.filter((o) => o !== 'ecs:run')).toEqual([`rds:modify ${RESTORED}`, 'ecs:run migrate app-role', 'ssm:put', 'secret:put', 'secret:put app', 'ecs:run migrate app-role', 'cdk:restart', `rds:modify ${RESTORED}`]);
    expect(world.secret()).toMatchObject({ host: COPY_HOST, port: 5432, dbInstanceIdentifier: RESTORED, password: 'pw' });
    expect(world.appSecret()).toEqual({ engine: 'postgres', host: COPY_HOST, port: 5432, username: 'slipway_app', password: 'app-pw', dbname: 'slipway', dbInstanceIdentifier: RESTORED });
    // the deployed migrate task (not the drill's copy of it), once both secrets name the copy
    expect(world.appRoleRuns.at(-1)).toEqual({ taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-migrate:7', masterHost: COPY_HOST, loginHost: COPY_HOST });
    expect(world.out.join('')).toContain(`✓ api login: migrate app-role on ${RESTORED}: api login slipway_app: exists; password set from ${APP_SECRET_ARN}`);
  });

  it('a drill sets up the api login on the copy with the drill\'s task definition, which points at the copy', async () => {
    setup({ appLogin: true });
    const result = await runDrill(options(), world.deps);
    expect(result.ok, result.summary).toBe(true);
    expect([...world.tasks.values()].map((t) => `${t.db} ${t.command}`)).toEqual(['restored migrate status', 'restored stats', 'restored migrate app-role', 'source migrate status', 'source stats']);
    expect(world.appRoleRuns).toEqual([{ taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-migrate-restore-drill:1', masterHost: 'source.db.internal', loginHost: 'source.db.internal' }]);
    expect(world.out.join('')).toContain("and the api login given its secret's password on the copy and checked (migrate app-role)");
  });

  it('a drill whose api login cannot be set up on the copy fails validation with the reason and keeps the copy', async () => {
    setup({ appLogin: true, appRoleFailsOn: 'drill-copy' });
    const result = await runDrill(options(), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `validation of ${RESTORED} failed (the api login: migrate app-role on ${RESTORED} exited 1 (Essential container in task exited); last log line: the api login "slipway_app" cannot sign in to the database: no pg_hba.conf entry. Fix: check that the role may log in and that the server admits it (pg_hba.conf)); the instance is KEPT for inspection: delete it with npm run restore-drill -- --cleanup`,
    );
    expect(world.deleted).toEqual([]);
  });

  it('a drill without an api login runs no app-role task', async () => {
    setup({ appLogin: false });
    await runDrill(options(), world.deps);
    expect([...world.tasks.values()].map((t) => t.command)).not.toContain('migrate app-role');
  });

  it('the copy\'s master password comes from the master secret only, never the api login\'s', async () => {
    setup({ appLogin: true });
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(world.modifications.filter((m) => 'MasterUserPassword' in m)).toEqual([expect.objectContaining({ DBInstanceIdentifier: RESTORED, MasterUserPassword: 'pw' })]);
  });

  it('rollback points both secrets back, sets up the api login on the original after its master password, then restarts', async () => {
    setup({ appLogin: true });
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    world.order.length = 0;
    const back = await rollbackCutover(options(), world.deps);
    expect(back).toMatchObject({ ok: true, summary: `rolled back to source.db.internal; smoke gate passed; ${RESTORED} is kept until --cleanup and alone holds the writes made while cut over (--cleanup keeps a final snapshot of it)` });
    expect(world.order).toEqual([`rds:modify ${SOURCE}`, 'secret:put', 'secret:put app', 'ecs:run migrate app-role', 'cdk:restart', `rds:modify ${RESTORED}`]);
    expect(world.appSecret()).toMatchObject({ host: 'source.db.internal', port: 5432, dbInstanceIdentifier: SOURCE, password: 'app-pw' });
    expect(world.appRoleRuns.at(-1)).toMatchObject({ masterHost: 'source.db.internal', loginHost: 'source.db.internal' });
  });

  it('a cutover whose api login step exits 1 stops before the restart, says why and how to fix it, and is rolled back', async () => {
    setup({ appLogin: true, appRoleFailsOn: 'copy' });
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    const failure = `migrate app-role on ${RESTORED} exited 1 (Essential container in task exited); last log line: the api login "slipway_app" cannot sign in to the database: no pg_hba.conf entry. Fix: check that the role may log in and that the server admits it (pg_hba.conf)`;
    expect(result).toMatchObject({ ok: false, summary: `cutover to ${RESTORED} failed (${failure}); rolled back to source.db.internal; smoke gate passed; ${RESTORED} is kept until --cleanup` });
    expect(world.out.join('')).toContain(`✗ api login: ${failure}`);
    expect(world.out.join('')).toContain(appRoleFix);
    // no task was restarted onto the copy: the only restart and gate are the rollback's
    expect(world.gates.map((g) => g.host)).toEqual(['source.db.internal']);
    expect([world.secret().host, world.appSecret().host]).toEqual(['source.db.internal', 'source.db.internal']);
    expect(world.appRoleRuns.slice(1).map((r) => r.masterHost)).toEqual([COPY_HOST, 'source.db.internal']);
    expect(world.modifications.filter((m) => m.DeletionProtection === true)).toEqual([]);
  });

  it('a cutover whose api login task never starts says what ECS answered and is rolled back', async () => {
    setup({ appLogin: true, appRoleNotStartedOn: 'copy' });
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain(`cutover to ${RESTORED} failed (migrate app-role on ${RESTORED} did not run: ECS could not start the api login task: RESOURCE:ENI); rolled back to source.db.internal`);
    expect(world.gates.map((g) => g.host)).toEqual(['source.db.internal']);
    expect(world.appSecret()).toMatchObject({ host: 'source.db.internal' });
  });

  it('a rollback whose api login step fails keeps the record, restarts nothing, and can be run again', async () => {
    setup({ appLogin: true });
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    world.scenario.appRoleFailsOn = 'original';
    const restartsBefore = world.restarts.length;
    const back = await rollbackCutover(options(), world.deps);
    expect(back.ok).toBe(false);
    expect(back.summary).toBe(
      `rolled the secrets back to source.db.internal but the api login could not be set up there (migrate app-role on ${SOURCE} exited 1 (Essential container in task exited); last log line: the api login "slipway_app" cannot sign in to the database: no pg_hba.conf entry. Fix: check that the role may log in and that the server admits it (pg_hba.conf)); the services were not restarted: fix it and run npm run restore-drill -- --rollback again`,
    );
    expect(world.restarts.length).toBe(restartsBefore);
    expect(world.params.has('/slipway/restore/cutover')).toBe(true);
    world.scenario.appRoleFailsOn = undefined;
    const again = await rollbackCutover(options(), world.deps);
    expect(again).toMatchObject({ ok: true, summary: `rolled back to source.db.internal; smoke gate passed; ${RESTORED} is kept until --cleanup and alone holds the writes made while cut over (--cleanup keeps a final snapshot of it)` });
  });

  it('without an api login output the step is skipped and says so', async () => {
    setup({ appLogin: false });
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result.ok, result.summary).toBe(true);
    expect(world.appRoleRuns).toEqual([]);
    expect(world.out.join('')).toContain('· api login: skipped: the data stack has no DbAppSecretArn output, so the api signs in as the master user');
  });

  it('refuses to cut over while a rotation of the api login\'s secret is half done', async () => {
    setup({ appLogin: true });
    world.setRotationPending('login');
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain(`a rotation of ${APP_SECRET_ARN} is in progress (a version is staged AWSPENDING). Fix: wait until it finishes`);
    expect(world.secretWrites).toEqual([]);
  });
});

describe('cutover: writes after the restore point', () => {
  const SAME = { workspaces: 4, users: 20, issues: 1500, comments: 3000, attachments: 40 };
  const stopped = (stoppedAt: string[]) => ({ api: { running: 0, desired: 0, stoppedAt: stoppedAt.map((t) => new Date(t)) } });
  const reportJson = () => JSON.parse(world.puts[0]!.Body) as { newerWrites?: unknown };

  it('refuses a cutover while the api runs tasks, before restoring anything, naming both ways forward (a dry run too)', async () => {
    setup();
    const refusal = 'the api (slipway-api) runs 2 task(s) that write to slipway-data-database-abc123: what they write after the restore point 2026-03-02T09:55:00.000Z until the cutover\'s restart would be missing from the copy (it stays on slipway-data-database-abc123 only). Fix: to keep every write, stop writes first (the runbook\'s "Cutover", step 1: the api to 0 tasks) and run this again; to go back to the restore point on purpose, add --accept-newer-writes-lost';
    await expect(runDrill(options({ cutover: true }), world.deps)).rejects.toThrow(refusal);
    await expect(runDrill(options({ cutover: true, dryRun: true }), world.deps)).rejects.toThrow(refusal);
    expect(world.restoreRequests).toEqual([]);
    expect(world.secretWrites).toEqual([]);
    // a drill (no cutover) does not ask
    const drill = await runDrill(options(), world.deps);
    expect(drill.ok, drill.summary).toBe(true);
  });

  it('with --accept-newer-writes-lost it cuts over and reports, per table, what stays on the original, in the output and the report', async () => {
    setup();
    const result = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: `cut over to ${RESTORED}; smoke gate passed; undo with npm run restore-drill -- --rollback` });
    const out = world.out.join('');
    expect(out).toContain(`! newer writes: accepted (--accept-newer-writes-lost): slipway-api runs 2 task(s); what was written to ${SOURCE} after 2026-03-02T09:55:00.000Z, until the cutover's restart, stays there only`);
    expect(out).toContain('! left on the original: issues: 10 row(s) on the original beyond the copy (1500 there, 1490 on the copy)\n! left on the original: comments: 10 row(s) on the original beyond the copy (3000 there, 2990 on the copy)\n');
    const newerWrites = {
      terms: 'accepted',
      api: { service: 'slipway-api', running: 2, desired: 2 },
      leftBehind: [{ table: 'issues', original: 1500, copy: 1490, beyond: 10 }, { table: 'comments', original: 3000, copy: 2990, beyond: 10 }],
    };
    expect(reportJson().newerWrites).toEqual(newerWrites);
    expect((result.document as { report: { newerWrites: unknown } }).report.newerWrites).toEqual(newerWrites);
    expect(world.puts[1]!.Body).toContain('## Left on the original (writes after the restore point)\n\nCutover: accepted with --accept-newer-writes-lost (slipway-api had 2 task(s)).\n\n- issues: 10 row(s) on the original beyond the copy (1500 there, 1490 on the copy)\n- comments: 10 row(s)');
    // the api was running: nothing scaled it
    expect(world.serviceUpdates).toEqual([]);
  });

  it('with writes stopped before the restore point it cuts over without the flag and starts the api at API_MIN_TASKS on the copy before the restart', async () => {
    // three stopped tasks (two pages of ListTasks), the last at 09:50, before the restore point 09:55
    setup({ counts: { source: SAME, restored: SAME }, ...stopped(['2026-03-02T09:40:00Z', '2026-03-02T09:50:00Z', '2026-03-02T09:45:00Z']) });
    const config = testConfig({ API_MIN_TASKS: '3' });
    const result = await runDrill(options({ config, cutover: true }), world.deps);
    expect(result).toMatchObject({ ok: true, summary: `cut over to ${RESTORED}; smoke gate passed; undo with npm run restore-drill -- --rollback` });
    expect(world.apiListings).toEqual([
      { cluster: 'slipway', serviceName: 'slipway-api', desiredStatus: 'STOPPED' },
      { cluster: 'slipway', serviceName: 'slipway-api', desiredStatus: 'STOPPED', nextToken: '2' },
    ]);
    expect(world.serviceUpdates).toEqual([{ cluster: 'slipway', service: 'slipway-api', desiredCount: 3 }]);
    const order = world.order.filter((o) => o !== 'ecs:run');
    expect(order.slice(order.indexOf('secret:put'))).toEqual(['secret:put', 'ecs:update-service slipway-api 3', 'cdk:restart', `rds:modify ${RESTORED}`]);
    const out = world.out.join('');
    expect(out).toContain('✓ newer writes: none: slipway-api is at 0 tasks since 2026-03-02T09:50:00.000Z, before the restore point, so the copy will have every write');
    expect(out).toContain(`✓ left on the original: nothing: every counted table has the same rows on ${SOURCE} and the copy`);
    expect(out).toContain(`✓ api started: slipway-api at 3 task(s) (API_MIN_TASKS) on ${RESTORED}: writes were stopped`);
    expect(reportJson().newerWrites).toEqual({ terms: 'stopped', api: { service: 'slipway-api', running: 0, desired: 0, lastStoppedAt: '2026-03-02T09:50:00.000Z' }, leftBehind: [] });
    expect(world.gates).toEqual([{ host: `${RESTORED}.db.internal`, release: 'r7' }]);
  });

  it('refuses when writes stopped after the restore point (the api\'s last task at 09:57, the latest restorable time 09:55); the flag lets it go ahead', async () => {
    setup({ counts: { source: SAME, restored: SAME }, ...stopped(['2026-03-02T09:50:00Z', '2026-03-02T09:57:00Z']) });
    await expect(runDrill(options({ cutover: true }), world.deps)).rejects.toThrow(
      `writes stopped at 2026-03-02T09:57:00.000Z (the api's last task), after the restore point 2026-03-02T09:55:00.000Z: the copy would miss what the api wrote in between. Fix: wait until ${SOURCE}'s latest restorable time is after 2026-03-02T09:57:00.000Z (usually within 5 minutes) and run this again without --restore-time, or add --accept-newer-writes-lost`,
    );
    expect(world.restoreRequests).toEqual([]);
    const accepted = await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect(accepted.ok, accepted.summary).toBe(true);
    expect(reportJson().newerWrites).toMatchObject({ terms: 'accepted', api: { running: 0, desired: 0, lastStoppedAt: '2026-03-02T09:57:00.000Z' } });
  });

  it('refuses a --restore-time more than an hour back when ECS no longer lists the api\'s last task (when writes stopped cannot be told)', async () => {
    setup(stopped([]));
    await expect(runDrill(options({ cutover: true, restoreTime: new Date('2026-03-01T08:00:00Z') }), world.deps)).rejects.toThrow(
      'the api (slipway-api) is stopped, but ECS no longer lists its last task, so it stopped more than an hour ago: whether that was before the restore point 2026-03-01T08:00:00.000Z cannot be told.',
    );
    expect(world.restoreRequests).toEqual([]);
  });

  it('with writes stopped, a copy whose row counts differ from the original is not cut over (something else writes)', async () => {
    setup(stopped([]));
    const result = await runDrill(options({ cutover: true }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `the copy's row counts differ from ${SOURCE}'s although writes stopped before the restore point (issues, comments): something other than the api writes to it; nothing was cut over and ${RESTORED} is KEPT: delete it with npm run restore-drill -- --cleanup. Fix: find that writer and cut over again, or add --accept-newer-writes-lost`,
    );
    expect(world.out.join('')).toContain('✗ left on the original: issues: 10 row(s) on the original beyond the copy');
    expect(world.secretWrites).toEqual([]);
    expect(world.deleted).toEqual([]);
  });

  it('with writes stopped, an api started again during the drill (autoscaling back to its minimum) stops the cutover before anything is repointed', async () => {
    setup({ counts: { source: SAME, restored: SAME }, ...stopped([]) });
    const ecs = world.deps.ecs as unknown as { send: (command: unknown) => Promise<unknown> };
    const send = ecs.send.bind(ecs);
    ecs.send = async (command) => {
      if (command instanceof RunTaskCommand) world.scenario.api = { running: 2, desired: 2, stoppedAt: [] };
      return send(command);
    };
    const result = await runDrill(options({ cutover: true }), world.deps);
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(
      `writes resumed during the drill: slipway-api runs 2 task(s) again (desired 2), so what it wrote after the restore point would stay on ${SOURCE} only; nothing was cut over and ${RESTORED} is KEPT: delete it with npm run restore-drill -- --cleanup. Fix: stop writes again (suspend the api's scaling first, see the runbook) and cut over again, or add --accept-newer-writes-lost`,
    );
    expect(world.secretWrites).toEqual([]);
    expect(world.params.has('/slipway/restore/cutover')).toBe(false);
  });

  it('the runbook quotes what the writes check prints', async () => {
    const texts: string[] = [];
    const run = async (scenario: Partial<RestoreScenario>, o: Partial<DrillOptions>) => {
      setup(scenario);
      try {
        const result = await runDrill(options({ cutover: true, ...o }), world.deps);
        texts.push(`${result.ok ? '✓' : '✗'} restore-drill: ${result.summary}`);
      } catch (error) {
        texts.push(`✗ restore-drill: ${(error as Error).message}`);
      }
      texts.push(world.out.join(''));
    };
    await run({}, {});
    await run({}, { acceptNewerWritesLost: true });
    await run({ counts: { source: SAME, restored: SAME }, ...stopped(['2026-03-02T09:50:00Z']) }, {});
    await run(stopped(['2026-03-02T09:57:00Z']), {});
    await run(stopped([]), { restoreTime: new Date('2026-03-01T08:00:00Z') });
    await run(stopped([]), {});
    const file = 'runbooks/point-in-time-restore.md';
    const lines = ['✗ restore-drill: the api', '✗ restore-drill: writes stopped', '! newer writes:', '✓ newer writes:', '! left on the original:', '✓ left on the original:', '✓ api started:', 'writes resumed', "the copy's row counts differ"].flatMap((start) => quoted(file, start));
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const line of lines) {
      const pattern = quotePattern(line.replace(/<[^>]+>/g, '…'));
      if (line.startsWith('writes resumed')) continue; // below, with an api started during the drill
      expect(texts.some((t) => pattern.test(t)), line).toBe(true);
    }
    setup({ counts: { source: SAME, restored: SAME }, ...stopped([]) });
    const ecs = world.deps.ecs as unknown as { send: (command: unknown) => Promise<unknown> };
    const send = ecs.send.bind(ecs);
    ecs.send = async (command) => {
      if (command instanceof RunTaskCommand) world.scenario.api = { running: 2, desired: 2, stoppedAt: [] };
      return send(command);
    };
    const resumed = await runDrill(options({ cutover: true }), world.deps);
    for (const line of quoted(file, 'writes resumed')) expect(resumed.summary).toMatch(quotePattern(line.replace(/<[^>]+>/g, '…')));
  });

  it('the runbook\'s drill, cutover and rollback lines are what the commands print', async () => {
    const texts: string[] = [];
    const last = (r: { ok: boolean; summary: string }) => texts.push(`${r.ok ? '✓' : '✗'} restore-drill: ${r.summary}`);
    setup();
    last(await runDrill(options(), world.deps));
    last(await runDrill(options({ dryRun: true }), world.deps));
    last(await runDrill(options({ keep: true, restoreTime: new Date('2026-03-01T08:00:00Z') }), world.deps));
    texts.push(world.out.join(''));
    setup();
    last(await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps));
    last(await runDrill(options({ dryRun: true }), world.deps));
    last(await rollbackCutover(options(), world.deps));
    texts.push(world.out.join(''));
    const file = 'runbooks/point-in-time-restore.md';
    const lines = ['✓ restore-drill:', '… waiting for', '✓ deletion protection:', '✓ database alarms:', '· cutover active:'].flatMap((start) => quoted(file, start));
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) {
      // durations and placeholders are examples
      const pattern = quotePattern(line.replace(/<[^>]+>/g, '…').replace(/\b(\d+h)?\d+m\d+s\b/g, '…'));
      expect(texts.some((t) => pattern.test(t)), line).toBe(true);
    }
  });

  it('--skip-row-counts: the report says the rows were not compared instead of listing none', async () => {
    setup();
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true, skipRowCounts: true }), world.deps);
    expect(world.out.join('')).toContain('· left on the original: row counts not compared (--skip-row-counts)');
    expect(reportJson().newerWrites).not.toHaveProperty('leftBehind');
    expect(world.puts[1]!.Body).toContain('- row counts were not compared (--skip-row-counts)');
  });
});

describe('cleanup', () => {
  it('deletes only the drill instances of this app and never anything untagged', async () => {
    setup({
      extraInstances: [
        { DBInstanceIdentifier: 'slipway-restore-old1', DBInstanceStatus: 'available', TagList: DRILL_TAGS('drill-20260101000000') },
        { DBInstanceIdentifier: 'other-team-restore', DBInstanceStatus: 'available', TagList: DRILL_TAGS('drill-x', 'other') },
        { DBInstanceIdentifier: 'hand-made-copy', DBInstanceStatus: 'available', TagList: [] },
        { DBInstanceIdentifier: 'slipway-restore-running', DBInstanceStatus: 'creating', TagList: DRILL_TAGS('drill-20260302095900') },
      ],
    });
    const dry = await cleanupDrills(options({ dryRun: true }), world.deps);
    expect(dry.summary).toBe('dry run: would delete 1 drill instance(s), keep slipway-restore-running (creating: a drill may still be running with it; run --cleanup again later); nothing was changed');
    expect(world.deleted).toEqual([]);
    const result = await cleanupDrills(options(), world.deps);
    expect(result.summary).toBe('deleted 1 drill instance(s); kept slipway-restore-running (creating: a drill may still be running with it; run --cleanup again later)');
    expect(world.deleted).toEqual(['slipway-restore-old1']);
    expect(world.out.join('')).toContain('- slipway-restore-running: creating: a drill may still be running with it; run --cleanup again later');
  });

  it('keeps the copy of a drill that is still validating it (available, but marked in progress), and says why', async () => {
    setup();
    // An operator runs --cleanup while the drill's first validation task runs on the copy.
    let concurrent: Awaited<ReturnType<typeof cleanupDrills>> | undefined;
    const ecs = world.deps.ecs as unknown as { send: (command: unknown) => Promise<unknown> };
    const send = ecs.send.bind(ecs);
    ecs.send = async (command) => {
      if (command instanceof RunTaskCommand && !concurrent) concurrent = await cleanupDrills(options(), world.deps);
      return send(command);
    };
    const drill = await runDrill(options({ keep: true }), world.deps);
    expect(world.instances.get(RESTORED)!.DBInstanceStatus).toBe('available');
    expect(concurrent!.summary).toMatch(new RegExp(`^deleted 0 drill instance\\(s\\); kept ${RESTORED} \\(drill ${DRILL} is still working with it \\(until 2026-03-02T11:\\d\\d:\\d\\d\\.000Z\\); run --cleanup again after that\\)$`));
    expect(drill).toMatchObject({ ok: true });
    expect(world.deleted).toEqual([]);
    // the drill is done with it: the marker is gone and the kept copy is cleaned up
    const after = await cleanupDrills(options(), world.deps);
    expect(after.summary).toBe('deleted 1 drill instance(s)');
    expect(world.deleted).toEqual([RESTORED]);
  });

  it('the marker is set with the restore request, moved on for each phase and removed when the drill is done', async () => {
    setup();
    await runDrill(options({ cutover: true, acceptNewerWritesLost: true }), world.deps);
    expect((world.restoreRequests[0] as { Tags: Array<{ Key: string; Value: string }> }).Tags).toContainEqual({ Key: 'slipway:restore-in-progress', Value: '2026-03-02T12:15:00.000Z' });
    expect(world.tagChanges.filter((t) => t.includes('restore-in-progress')).map((t) => t.replace(/=\S+/, '=…'))).toEqual([
      `add slipway:restore-in-progress=… ${RESTORED}`,
      `add slipway:restore-in-progress=… ${RESTORED}`,
      `remove slipway:restore-in-progress ${RESTORED}`,
    ]);
    expect(world.instances.get(RESTORED)!.TagList!.map((t) => t.Key)).not.toContain('slipway:restore-in-progress');
  });

  it('a marker that has expired (its drill died) no longer keeps the copy', async () => {
    const marker = (until: string) => [...DRILL_TAGS('drill-x'), { Key: 'slipway:restore-in-progress', Value: until }];
    setup({
      extraInstances: [
        { DBInstanceIdentifier: 'slipway-restore-dead', DBInstanceStatus: 'available', TagList: marker('2026-03-02T09:00:00.000Z') },
        { DBInstanceIdentifier: 'slipway-restore-live', DBInstanceStatus: 'available', TagList: marker('2026-03-02T10:30:00.000Z') },
      ],
    });
    const result = await cleanupDrills(options(), world.deps);
    expect(world.deleted).toEqual(['slipway-restore-dead']);
    expect(result.summary).toBe('deleted 1 drill instance(s); kept slipway-restore-live (drill drill-x is still working with it (until 2026-03-02T10:30:00.000Z); run --cleanup again after that)');
  });

  it('handles each instance on its own: a protected one is kept with the reason, the rest are still deleted', async () => {
    setup({
      extraInstances: [
        { DBInstanceIdentifier: 'slipway-restore-a', DBInstanceStatus: 'available', DeletionProtection: true, TagList: DRILL_TAGS('drill-a') },
        { DBInstanceIdentifier: 'slipway-restore-b', DBInstanceStatus: 'available', TagList: DRILL_TAGS('drill-b') },
      ],
    });
    const result = await cleanupDrills(options(), world.deps);
    expect(world.deleted).toEqual(['slipway-restore-b']);
    expect(result).toMatchObject({ ok: true, summary: 'deleted 1 drill instance(s); kept slipway-restore-a (deletion protection is on)' });
    expect(world.out.join('')).toContain('    fix: if it is no longer needed: aws rds modify-db-instance --db-instance-identifier slipway-restore-a --no-deletion-protection --apply-immediately, then --cleanup again');
  });

  it('an instance RDS refuses to delete is reported with the reason, and cleanup exits non-zero', async () => {
    setup({ deleteRefused: true, extraInstances: [{ DBInstanceIdentifier: 'slipway-restore-c', DBInstanceStatus: 'available', TagList: DRILL_TAGS('drill-c') }] });
    const result = await cleanupDrills(options(), world.deps);
    expect(result).toMatchObject({ ok: false, summary: 'deleted 0 drill instance(s); could not delete slipway-restore-c (RDS will not delete it while it is available (Instance is not in available state))' });
  });

  it('the delete guard refuses the source, untagged and foreign instances', () => {
    setup();
    expect(() => assertDeletable({ DBInstanceIdentifier: SOURCE, TagList: DRILL_TAGS('d') }, 'slipway', [SOURCE])).toThrow(
      `refusing to delete ${SOURCE}: it is the source database or the one the app is cut over to`,
    );
    expect(() => assertDeletable({ DBInstanceIdentifier: 'x', TagList: [] }, 'slipway', [])).toThrow(
      'refusing to delete x: it does not carry the slipway:restore-drill tag for slipway, so this drill did not create it',
    );
    expect(() => assertDeletable({ DBInstanceIdentifier: 'y', TagList: DRILL_TAGS('d', 'other') }, 'slipway', [])).toThrow(/did not create it/);
  });
});

describe('restore-drill flags', () => {
  const config = parseSettings({ AWS_ACCOUNT_ID: '123456789012', AWS_REGION: 'eu-west-1', DOMAIN_NAME: 'a.example.com', HOSTED_ZONE_ID: 'Z1', HOSTED_ZONE_NAME: 'example.com' });
  it.each([
    [['--cutover', '--cleanup'], '--cutover and --cleanup cannot be combined: pick one'],
    [['--rollback', '--keep'], '--rollback takes no restore flags (--restore-time, --instance-class, --keep, --multi-az)'],
    [['--restore-time', 'yesterday'], '--restore-time must be an ISO 8601 time with Z or an offset (±hh:mm), such as 2026-01-31T09:30:00Z or 2026-01-31T10:30:00+01:00, got "yesterday"'],
    [['--restore-time', '2026-01-31T09:30:00'], '--restore-time must be an ISO 8601 time with Z or an offset (±hh:mm), such as 2026-01-31T09:30:00Z or 2026-01-31T10:30:00+01:00, got "2026-01-31T09:30:00" (no Z or offset: it would be read in this machine\'s time zone)'],
    [['--restore-time', '2026-02-30T10:00:00Z'], '--restore-time "2026-02-30T10:00:00Z" is not a real time (check the day of the month, the hours, minutes and seconds, and the offset), such as 2026-01-31T09:30:00Z or 2026-01-31T10:30:00+01:00'],
    [['--restore-time', '2026-01-31T24:30:00Z'], '--restore-time "2026-01-31T24:30:00Z" is not a real time (check the day of the month, the hours, minutes and seconds, and the offset), such as 2026-01-31T09:30:00Z or 2026-01-31T10:30:00+01:00'],
    [['--restore-time', '2026-01-31T09:30:00+25:00'], '--restore-time "2026-01-31T09:30:00+25:00" is not a real time (check the day of the month, the hours, minutes and seconds, and the offset), such as 2026-01-31T09:30:00Z or 2026-01-31T10:30:00+01:00'],
    [['--accept-newer-writes-lost'], '--accept-newer-writes-lost goes with --cutover only: it accepts that the writes after the restore point stay on the original, which only a cutover leaves behind'],
    [['--rollback', '--accept-newer-writes-lost'], '--accept-newer-writes-lost goes with --cutover only: it accepts that the writes after the restore point stay on the original, which only a cutover leaves behind'],
    [['--instance-class', 'large'], '--instance-class "large" is not an RDS instance class (db.<family>.<size>), e.g. db.t4g.medium'],
    [['--max-row-drift', 'many'], '--max-row-drift must be a whole number of at least 0, got "many"'],
    [['--available-timeout', '0'], '--available-timeout must be a positive number of seconds, got "0"'],
  ])('%j is refused', (argv, message) => {
    expect(() => drillOptionsFrom(parseFlags(RESTORE_SPEC, argv), config)).toThrow(new UsageError(message));
  });

  it('--accept-newer-writes-lost is taken with --cutover, and --help explains it', () => {
    expect(drillOptionsFrom(parseFlags(RESTORE_SPEC, ['--cutover', '--accept-newer-writes-lost']), config)).toMatchObject({ cutover: true, acceptNewerWritesLost: true });
    expect(drillOptionsFrom(parseFlags(RESTORE_SPEC, ['--cutover']), config)).toMatchObject({ acceptNewerWritesLost: false });
    expect(RESTORE_SPEC.options['accept-newer-writes-lost']!.description).toContain('stays on the original only');
  });
});

describe('--restore-time', () => {
  const config = parseSettings({ AWS_ACCOUNT_ID: '123456789012', AWS_REGION: 'eu-west-1', DOMAIN_NAME: 'a.example.com', HOSTED_ZONE_ID: 'Z1', HOSTED_ZONE_NAME: 'example.com' });
  const restoreTime = (raw: string) => drillOptionsFrom(parseFlags(RESTORE_SPEC, ['--restore-time', raw]), config).restoreTime?.toISOString();
  const zone = process.env.TZ;
  afterEach(() => {
    process.env.TZ = zone;
  });

  it.each([
    ['2026-01-31T09:30:00Z', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31T09:30Z', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31T09:30:00.25Z', '2026-01-31T09:30:00.250Z'],
    ['2026-01-31T10:30:00+01:00', '2026-01-31T09:30:00.000Z'],
    ['2026-01-31T04:00:00-05:30', '2026-01-31T09:30:00.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('%s is the instant %s, whatever the machine\'s time zone', (raw, instant) => {
    process.env.TZ = 'America/New_York';
    expect(restoreTime(raw)).toBe(instant);
    process.env.TZ = 'Asia/Kolkata';
    expect(restoreTime(raw)).toBe(instant);
  });

  it('the help says a time needs its offset', () => {
    expect(RESTORE_SPEC.options['restore-time']!.description).toContain('ISO 8601 with Z or an offset');
  });
});

describe('drill names', () => {
  const appNames = fc.stringMatching(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/).filter((v) => settingsSchema.shape.APP_NAME.safeParse(v).success);

  it('are valid RDS identifiers for every APP_NAME the settings accept', () => {
    fc.assert(
      fc.property(appNames, fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), (appName, at) => {
        const { restoredInstance, drillId } = drillNames(appName, at.getTime(), randomSuffix());
        expect(restoredInstance).toMatch(RDS_IDENTIFIER);
        expect(restoredInstance.length).toBeLessThanOrEqual(63);
        expect(restoredInstance).not.toMatch(/--|-$/);
        expect(drillId).toMatch(/^drill-\d{14}-[a-z0-9]{4}$/);
      }),
    );
  });

  it('fold the double hyphens an APP_NAME may have', () => {
    expect(drillNames('team--x', Date.parse('2026-03-02T10:00:00Z'), 'ab12').restoredInstance).toBe('team-x-restore-20260302100000-ab12');
  });
});
