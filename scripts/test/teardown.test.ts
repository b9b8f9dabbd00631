/** The teardown flow's paths, failures first, on a mocked account (teardown-account.ts). */
import { describe, expect, it } from 'vitest';
import { runCommand, UsageError } from '../lib/cli.ts';
import { TEARDOWN_SPEC, teardownOptionsFrom } from '../lib/teardown/command.ts';
import { teardown, type TeardownOptions } from '../lib/teardown/flow.ts';
import type { TeardownPlan } from '../lib/teardown/plan.ts';
import { BUCKET, DB, FLOW_LOGS, makeAccount, SECRET, type AccountOptions } from './support/teardown-account.ts';
import { testConfig } from './support/world.ts';

function options(o: Partial<TeardownOptions> = {}, profile: 'trial' | 'production' = 'trial'): TeardownOptions {
  return {
    config: testConfig({ DEPLOY_PROFILE: profile }),
    production: false,
    noFinalSnapshot: false,
    dryRun: false,
    timeouts: { stackMs: 3_600_000, databaseMs: 1_800_000 },
    ...o,
  };
}

async function run(o: Partial<TeardownOptions> = {}, account: AccountOptions = {}) {
  const a = makeAccount(account);
  const result = await teardown(options(o, account.profile), a.deps);
  return { a, result };
}

const writes = (calls: readonly string[]) => calls.filter((c) => !c.startsWith('Describe'));

describe('teardown plan', () => {
  it('changes nothing without --confirm and orders the stacks consumers first', async () => {
    const { a, result } = await run();
    expect(result.ok).toBe(true);
    expect(writes(a.calls)).toEqual([]);
    const plan = result.document.plan as TeardownPlan;
    expect(plan.stacks.map((s) => s.stackName)).toEqual(['slipway-service', 'slipway-data', 'slipway-network']);
    expect(plan.deleted.map((d) => d.logicalId)).toEqual(['ApiService', 'DatabaseInstanceAA8A5FDE', 'NetworkVpc']);
    expect(plan.leftBehind.map((i) => `${i.label} ${i.id} ${i.action}`)).toEqual([
      `bucket ${BUCKET} remove`, `secret ${SECRET} remove`, `database snapshot ${DB} keep`, `log group ${FLOW_LOGS} remove`,
    ]);
    expect(plan.protections).toEqual([`deletion protection of database ${DB}`]);
    expect(a.text()).toContain('Nothing was changed. To carry it out: npm run teardown -- --confirm slipway');
  });

  it('--dry-run with --confirm checks the confirmation and still changes nothing', async () => {
    const { a, result } = await run({ confirm: 'slipway', dryRun: true });
    expect(result.summary).toBe('dry run: would delete 3 stack(s) and remove what they retain; nothing was changed');
    expect(writes(a.calls)).toEqual([]);
  });

  it('prices what stops with the cost estimator over the deployed templates', async () => {
    const { result } = await run();
    const plan = result.document.plan as TeardownPlan;
    // db.t4g.small single-AZ, gp3 20 GB, one secret, at eu-west-1 prices (price-table.ts).
    expect(plan.cost).toMatchObject({ region: 'eu-west-1', keepsUsd: 0 });
    expect(plan.cost!.stopsUsd).toBe(plan.cost!.deployedUsd);
    expect(plan.cost!.largest[0]).toMatch(/^-\$\d+\.\d\d\/mo: /);
  });

  it('production keeps what is retained, so only the rest of the cost stops', async () => {
    const { result } = await run({ production: true }, { profile: 'production' });
    const plan = result.document.plan as TeardownPlan;
    expect(plan.leftBehind.every((i) => i.action === 'keep')).toBe(true);
    expect(plan.cost!.keepsUsd).toBeGreaterThan(0);
    expect(plan.cost!.stopsUsd).toBeCloseTo(plan.cost!.deployedUsd - plan.cost!.keepsUsd, 2);
    expect(plan.protections).toEqual(['termination protection of stack slipway-data', `deletion protection of database ${DB}`]);
  });
});

describe('teardown flags', () => {
  it.each([
    [{ confirm: 'slipway-prod' }, 'trial', '--confirm "slipway-prod" does not match APP_NAME=slipway. Fix: --confirm slipway to tear down slipway, or set APP_NAME to the app you mean'],
    [{ confirm: 'slipway' }, 'production', 'slipway is a production deployment: refusing without --production. Fix: npm run teardown -- --confirm slipway --production (it keeps the final snapshot and the data)'],
    [{ confirm: 'slipway', production: true, noFinalSnapshot: true }, 'production', '--no-final-snapshot is for a trial: a production teardown always keeps the final snapshot (the command to delete it is printed at the end)'],
    [{ production: true }, 'trial', '--production is for a production deployment, and slipway is a trial (DEPLOY_PROFILE and the stacks\' profile tag). Fix: leave it out'],
  ] as const)('%j on a %s deployment is refused', async (flags, profile, message) => {
    const a = makeAccount({ profile });
    await expect(teardown(options(flags, profile), a.deps)).rejects.toThrow(new UsageError(message));
    expect(writes(a.calls)).toEqual([]);
  });

  it('stacks tagged production are production even when the settings say trial', async () => {
    const a = makeAccount({ profile: 'production' });
    await expect(teardown(options({ confirm: 'slipway' }, 'trial'), a.deps)).rejects.toThrow('slipway is a production deployment: refusing without --production');
  });

  it('the command has --help, --json and exit 2 for a bad timeout', async () => {
    const out: string[] = [];
    const io = (argv: string[]) => ({ argv, env: {}, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } });
    expect(await runCommand(TEARDOWN_SPEC, io(['--help']), async () => ({ ok: true, summary: '', document: {} }))).toBe(0);
    expect(out.join('')).toContain('--confirm APP_NAME');
    out.length = 0;
    const code = await runCommand(TEARDOWN_SPEC, io(['--stack-timeout', 'soon']), async (flags) => {
      teardownOptionsFrom(flags, testConfig());
      return { ok: true, summary: '', document: {} };
    });
    expect(code).toBe(2);
    expect(out.join('')).toContain('--stack-timeout must be a positive number of seconds, got "soon"');
  });

  it('a --price-region the price table does not have is refused with exit 2 before anything is read', async () => {
    const out: string[] = [];
    const io = { argv: ['--price-region', 'us-east1'], env: {}, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } };
    let ran = false;
    const code = await runCommand(TEARDOWN_SPEC, io, async (flags) => {
      teardownOptionsFrom(flags, testConfig());
      ran = true;
      return { ok: true, summary: '', document: {} };
    });
    expect(code).toBe(2);
    expect(ran).toBe(false);
    expect(out.join('')).toContain('--price-region "us-east1" is not a region of the price table, which has us-east-1, eu-west-1. Fix: --price-region us-east-1');
  });
});

describe('carrying out a trial teardown', () => {
  it('switches protection off only after confirmation, deletes in order, then removes what was retained; the final snapshot stays', async () => {
    const { a, result } = await run({ confirm: 'slipway' });
    expect(result.ok, a.text()).toBe(true);
    expect(writes(a.calls)).toEqual([
      'DeleteStack slipway-service',
      'ModifyDBInstance DeletionProtection=false',
      'DeleteStack slipway-data',
      'DeleteStack slipway-network',
      // Newest deletion first: the network stack's.
      `DeleteLogGroup ${FLOW_LOGS}`,
      `DeleteBucket ${BUCKET}`,
      `DeleteSecret ${SECRET}`,
    ]);
    expect(a.snapshots.map((s) => s.id)).toEqual(['slipway-data-databaseinstanceaa8a5fde-1a2b3c']);
    expect(result.summary).toBe('deleted 3 stack(s), removed 3 retained resource(s), kept 1 (final snapshot slipway-data-databaseinstanceaa8a5fde-1a2b3c)');
    expect(a.text()).toContain(`  … waiting for database ${DB} to drop its deletion protection: modifying, deletion protection off (0s elapsed)`);
    expect(a.text()).toContain('  … waiting for slipway-data to be deleted: DELETE_IN_PROGRESS (0s elapsed)');
    expect(a.text()).toContain('aws rds delete-db-snapshot --db-snapshot-identifier slipway-data-databaseinstanceaa8a5fde-1a2b3c --region eu-west-1');
  });

  it('--no-final-snapshot deletes the final snapshot after the stacks', async () => {
    const { a, result } = await run({ confirm: 'slipway', noFinalSnapshot: true });
    expect(result.ok).toBe(true);
    expect(writes(a.calls).at(-1)).toBe('DeleteDBSnapshot slipway-data-databaseinstanceaa8a5fde-1a2b3c');
    expect(a.snapshots).toEqual([]);
  });

  it('a stack that fails to delete stops the teardown with CloudFormation\'s reason; nothing retained is removed', async () => {
    const { a, result } = await run({ confirm: 'slipway' }, { failDeletion: { stack: 'slipway-service', reason: 'Resource handler returned message: "The target group is in use"' } });
    expect(result.ok).toBe(false);
    expect(result.summary).toBe('slipway-service could not be deleted (Something DELETE_FAILED: Resource handler returned message: "The target group is in use"); nothing retained was removed; rerun after fixing it');
    expect(writes(a.calls)).toEqual(['DeleteStack slipway-service']);
    expect(a.existing.has(BUCKET)).toBe(true);
  });

  it('a missing final snapshot stops before anything retained is removed, and the way on keeps the data', async () => {
    const { a, result } = await run({ confirm: 'slipway' }, { noSnapshot: true });
    expect(result.ok).toBe(false);
    expect(result.summary).toBe(`the final snapshot of ${DB} was not found, so nothing retained was removed`);
    expect(a.existing.size).toBe(3);
    expect(a.text()).toContain(`aws rds describe-db-snapshots --db-instance-identifier ${DB} --snapshot-type manual --region eu-west-1`);
    const failure = a.text().slice(a.text().indexOf('✗ final snapshot'));
    expect(failure).toContain('fix: nothing the stacks retained was removed');
    expect(failure).not.toContain('--no-final-snapshot');
  });

  describe('a rerun after the data stack\'s first deletion failed', () => {
    const MIN = 60_000;
    const FINAL = 'slipway-data-databaseinstanceaa8a5fde-1a2b3c';
    /**
     * The state the first run left: the service stack gone; the data stack DELETE_FAILED on its
     * security group after the database went with its final snapshot; the rerun's DeleteStack
     * starts a second DELETE_IN_PROGRESS, later than the snapshot. No new snapshot comes of it.
     */
    function afterFailedDeletion(events: (t0: number) => Array<{ LogicalResourceId: string; ResourceStatus: string; Timestamp: Date }> = () => []) {
      const a = makeAccount({ noSnapshot: true });
      const t0 = a.clock.now();
      const at = (m: number) => new Date(t0 + m * MIN);
      const [network, data, service] = a.stacks as [typeof a.stacks[0], typeof a.stacks[0], typeof a.stacks[0]];
      service.status = 'DELETE_COMPLETE';
      service.events = [
        { LogicalResourceId: 'slipway-service', ResourceStatus: 'DELETE_COMPLETE', Timestamp: at(4) },
        { LogicalResourceId: 'slipway-service', ResourceStatus: 'DELETE_IN_PROGRESS', Timestamp: at(0) },
      ];
      data.status = 'DELETE_FAILED';
      data.events = [
        { LogicalResourceId: 'slipway-data', ResourceStatus: 'DELETE_FAILED', Timestamp: at(20) },
        { LogicalResourceId: 'DatabaseSecurityGroup', ResourceStatus: 'DELETE_FAILED', Timestamp: at(20) },
        { LogicalResourceId: 'DatabaseInstanceAA8A5FDE', ResourceStatus: 'DELETE_COMPLETE', Timestamp: at(18) },
        { LogicalResourceId: 'DatabaseInstanceAA8A5FDE', ResourceStatus: 'DELETE_IN_PROGRESS', Timestamp: at(6) },
        { LogicalResourceId: 'slipway-data', ResourceStatus: 'DELETE_IN_PROGRESS', Timestamp: at(5) },
        ...events(t0),
      ];
      a.db.exists = false;
      a.db.protection = false;
      a.snapshots.push({ id: FINAL, created: at(7) });
      a.clock.advance(60 * MIN);
      expect(network.status).toBe('UPDATE_COMPLETE');
      return { a, at };
    }

    it('finds the final snapshot the first attempt took and finishes', async () => {
      const { a } = afterFailedDeletion();
      const result = await teardown(options({ confirm: 'slipway' }), a.deps);
      expect(result.ok, a.text()).toBe(true);
      expect(writes(a.calls)).toEqual(['DeleteStack slipway-data', 'DeleteStack slipway-network', `DeleteLogGroup ${FLOW_LOGS}`, `DeleteBucket ${BUCKET}`, `DeleteSecret ${SECRET}`]);
      expect(result.summary).toBe(`deleted 2 stack(s), removed 3 retained resource(s), kept 1 (final snapshot ${FINAL})`);
      expect(a.snapshots.map((s) => s.id)).toEqual([FINAL]);
    });

    it('the plan of a run after the second attempt finished keeps the final snapshot in view', async () => {
      const { a, at } = afterFailedDeletion();
      const data = a.stacks[1]!;
      data.status = 'DELETE_COMPLETE';
      data.events.unshift(
        { LogicalResourceId: 'slipway-data', ResourceStatus: 'DELETE_COMPLETE', Timestamp: at(35) },
        { LogicalResourceId: 'slipway-data', ResourceStatus: 'DELETE_IN_PROGRESS', Timestamp: at(30) },
      );
      const result = await teardown(options(), a.deps);
      const plan = result.document.plan as TeardownPlan;
      expect(plan.leftovers.map((i) => `${i.label} ${i.id} ${i.action}`)).toContain(`database snapshot ${FINAL} keep`);
    });

    it('a deletion sequence older than the stack\'s last update is not the current one', async () => {
      // The same stack id was deleted once before, that deletion failed, and the stack was updated after it.
      const { a } = afterFailedDeletion((t0) => [
        { LogicalResourceId: 'slipway-data', ResourceStatus: 'UPDATE_COMPLETE', Timestamp: new Date(t0 - 30 * MIN) },
        { LogicalResourceId: 'slipway-data', ResourceStatus: 'DELETE_FAILED', Timestamp: new Date(t0 - 50 * MIN) },
        { LogicalResourceId: 'slipway-data', ResourceStatus: 'DELETE_IN_PROGRESS', Timestamp: new Date(t0 - 60 * MIN) },
      ]);
      // A manual snapshot taken between that older deletion and the update is not the final one.
      a.snapshots.unshift({ id: 'slipway-db-before-update', created: new Date(a.clock.now() - 100 * MIN) });
      const result = await teardown(options({ confirm: 'slipway' }), a.deps);
      expect(result.ok, a.text()).toBe(true);
      expect(result.summary).toBe(`deleted 2 stack(s), removed 3 retained resource(s), kept 1 (final snapshot ${FINAL})`);
    });
  });

  it('a deletion that outlasts --stack-timeout fails saying what it waited for', async () => {
    const a = makeAccount();
    const o = options({ confirm: 'slipway', timeouts: { stackMs: 60_000, databaseMs: 60_000 } });
    // The service stack is deleted first; its deletion never finishes here.
    const { DeleteStackCommand } = await import('@aws-sdk/client-cloudformation');
    a.m.cfn.on(DeleteStackCommand).callsFake(() => {
      const s = a.stacks.find((x) => x.name === 'slipway-service')!;
      s.status = 'DELETE_IN_PROGRESS';
      s.pollsLeft = 1_000;
      return {};
    });
    await expect(teardown(o, a.deps)).rejects.toThrow(/^timed out after 1m00s waiting for slipway-service to be deleted \(last status: DELETE_IN_PROGRESS\)$/);
  });

  it('a rerun while a deletion is under way waits for it instead of asking again', async () => {
    const a = makeAccount();
    const service = a.stacks.find((s) => s.name === 'slipway-service')!;
    service.status = 'DELETE_IN_PROGRESS';
    service.events.unshift({ LogicalResourceId: 'slipway-service', ResourceStatus: 'DELETE_IN_PROGRESS', Timestamp: new Date(a.clock.now()) });
    const result = await teardown(options({ confirm: 'slipway' }), a.deps);
    expect(result.ok, a.text()).toBe(true);
    expect(writes(a.calls).filter((c) => c.startsWith('DeleteStack'))).toEqual(['DeleteStack slipway-data', 'DeleteStack slipway-network']);
  });

  it('refuses while another operation runs on a stack', async () => {
    const a = makeAccount();
    a.stacks[0]!.status = 'UPDATE_IN_PROGRESS';
    await expect(teardown(options({ confirm: 'slipway' }), a.deps)).rejects.toThrow('slipway-network is UPDATE_IN_PROGRESS: another operation is running on it. Fix: wait for it to finish, then run this again');
    expect(writes(a.calls)).toEqual([]);
  });

  it('refuses while restore-drill instances use the data stack\'s network', async () => {
    const a = makeAccount({ drillInstances: ['slipway-restore-20260301t000000-ab12'] });
    await expect(teardown(options({ confirm: 'slipway' }), a.deps)).rejects.toThrow('restore-drill instances of slipway still exist (slipway-restore-20260301t000000-ab12): they use the data stack\'s subnet group and security group, so its deletion would fail. Fix: npm run restore-drill -- --rollback if the app is cut over to one, then npm run restore-drill -- --cleanup');
    expect(writes(a.calls)).toEqual([]);
  });

  it('a leftover that cannot be removed is reported; the others are removed and a rerun finishes', async () => {
    const a = makeAccount();
    const { DeleteSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    let refused = false;
    a.m.secrets.on(DeleteSecretCommand).callsFake(({ SecretId }: { SecretId: string }) => {
      if (!refused) {
        refused = true;
        throw Object.assign(new Error('User is not authorized to perform: secretsmanager:DeleteSecret'), { name: 'AccessDeniedException' });
      }
      a.existing.delete(SecretId);
      return {};
    });
    const first = await teardown(options({ confirm: 'slipway' }), a.deps);
    expect(first.ok).toBe(false);
    expect(first.summary).toBe(`deleted 3 stack(s), but 1 leftover(s) could not be removed: secret ${SECRET}: User is not authorized to perform: secretsmanager:DeleteSecret`);
    expect(a.existing).toEqual(new Set([SECRET]));
    const second = await teardown(options({ confirm: 'slipway' }), a.deps);
    expect(second.ok, a.text()).toBe(true);
    expect(second.summary).toBe('deleted 0 stack(s), removed 1 retained resource(s), kept 1 (final snapshot slipway-data-databaseinstanceaa8a5fde-1a2b3c)');
    expect(a.existing.size).toBe(0);
  });
});

describe('carrying out a production teardown', () => {
  it('switches termination protection off first, keeps the data and prints the commands that remove it', async () => {
    const { a, result } = await run({ confirm: 'slipway', production: true }, { profile: 'production' });
    expect(result.ok, a.text()).toBe(true);
    expect(writes(a.calls)).toEqual([
      'DeleteStack slipway-service',
      'UpdateTerminationProtection slipway-data',
      'ModifyDBInstance DeletionProtection=false',
      'DeleteStack slipway-data',
      'DeleteStack slipway-network',
    ]);
    expect(a.existing.size).toBe(3);
    expect(a.text()).toContain('Kept. To remove any of it, once you are sure nothing in it is needed, run:\n');
    expect(a.text()).toContain([
      `  # bucket ${BUCKET} (slipway-data): repeat the delete-objects line while the bucket still has versions (it takes 1000 at a time)`,
      `  [ "$(aws s3api list-object-versions --bucket ${BUCKET} --region eu-west-1 --no-paginate --query 'length([Versions, DeleteMarkers][][])' --output text)" = 0 ] || aws s3api delete-objects --bucket ${BUCKET} --region eu-west-1 --delete "$(aws s3api list-object-versions --bucket ${BUCKET} --region eu-west-1 --max-items 1000 --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}}' --output json)"`,
      `  aws s3api delete-bucket --bucket ${BUCKET} --region eu-west-1`,
      `  # secret ${SECRET} (slipway-data)`,
      `  aws secretsmanager delete-secret --secret-id ${SECRET} --force-delete-without-recovery --region eu-west-1`,
    ].join('\n'));
    expect(result.summary).toBe('deleted 3 stack(s), removed 0 retained resource(s), kept 4 (final snapshot slipway-data-databaseinstanceaa8a5fde-1a2b3c)');
  });
});
