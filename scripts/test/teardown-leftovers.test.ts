/**
 * Preflight's leftover check and teardown agree on what is left over: it is what a teardown of
 * the same account keeps. Named leftovers fail (a deploy would collide), others warn.
 */
import { describe, expect, it } from 'vitest';
import type { PreflightContext } from '../lib/preflight.ts';
import { retainedNames } from '../../infra/names.ts';
import { checkLeftovers, NO_STACK_RECORD } from '../lib/teardown/leftover-check.ts';
import { kindOf } from '../lib/teardown/catalogue.ts';
import { teardown } from '../lib/teardown/flow.ts';
import type { PlanItem } from '../lib/teardown/plan.ts';
import { BUCKET, FLOW_LOGS, makeAccount, SECRET } from './support/teardown-account.ts';
import { REGION, testConfig } from './support/world.ts';

const clear = (type: string, id: string) => kindOf(type)!.commands(id, REGION).join(' && ');

async function tornDown() {
  const a = makeAccount({ profile: 'production' });
  const config = testConfig({ DEPLOY_PROFILE: 'production' });
  const result = await teardown({ config, confirm: 'slipway', production: true, noFinalSnapshot: false, dryRun: false, timeouts: { stackMs: 3_600_000, databaseMs: 3_600_000 } }, a.deps);
  const check = () => checkLeftovers.run({ config, clients: a.deps.clients } as unknown as PreflightContext);
  return { a, result, check };
}

describe('leftovers of an earlier teardown', () => {
  it('none when no stack of the app was ever deleted', async () => {
    const a = makeAccount();
    const outcome = await checkLeftovers.run({ config: testConfig(), clients: a.deps.clients } as unknown as PreflightContext);
    expect(outcome).toEqual({ status: 'pass', detail: 'none: no slipway stack was ever deleted here' });
  });

  it('are exactly what the teardown kept, and the named ones fail with how to clear them', async () => {
    const { result, check } = await tornDown();
    const kept = (result.document.kept as PlanItem[]).map((k) => k.id).sort();
    expect(kept).toEqual([BUCKET, SECRET, FLOW_LOGS, 'slipway-data-databaseinstanceaa8a5fde-1a2b3c'].sort());
    expect(await check()).toEqual({
      status: 'fail',
      detail: `2 resource(s) left by deleted slipway stacks have the names this deploy creates, so it would fail: bucket ${BUCKET} (slipway-data); secret ${SECRET} (slipway-data)`,
      fix: `remove them if the data can go: ${clear('AWS::S3::Bucket', BUCKET)}; ${clear('AWS::SecretsManager::Secret', SECRET)} (a trial teardown (npm run teardown -- --confirm slipway) removes what its deleted stacks left by itself); or deploy under another APP_NAME`,
    });
  });

  it('a secret in its recovery window still blocks the name', async () => {
    const { a, check } = await tornDown();
    const { DescribeSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    a.existing.delete(BUCKET);
    a.m.secrets.on(DescribeSecretCommand, { SecretId: SECRET }).resolves({ ARN: SECRET, DeletedDate: new Date('2026-03-09T10:00:00Z') });
    expect((await check()).detail).toBe(`1 resource(s) left by deleted slipway stacks have the names this deploy creates, so it would fail: secret ${SECRET} (slipway-data, scheduled for deletion on 2026-03-09; its name stays taken until then)`);
  });

  it('unnamed leftovers only cost money: a warning', async () => {
    const { a, check } = await tornDown();
    a.existing.delete(BUCKET);
    a.existing.delete(SECRET);
    expect(await check()).toMatchObject({
      status: 'warn',
      detail: `2 resource(s) left by deleted slipway stacks still cost money: log group ${FLOW_LOGS} (slipway-network); database snapshot slipway-data-databaseinstanceaa8a5fde-1a2b3c (slipway-data)`,
    });
  });

  it('with no stack record left (deleted over 90 days ago), the fixed names are found by name, each with its command', async () => {
    const { a, check } = await tornDown();
    a.stacks.length = 0;
    a.existing.clear();
    const names = ['slipway/db/master', 'slipway', '/aws/rds/instance/slipway-db/postgresql', 'tracker.example.com', BUCKET];
    for (const n of names) a.existing.add(n);
    const outcome = await check();
    expect(outcome.detail).toBe(`5 resource(s) left by deleted slipway stacks have the names this deploy creates, so it would fail: bucket ${BUCKET} (${NO_STACK_RECORD}); secret slipway/db/master (${NO_STACK_RECORD}); image repository slipway (${NO_STACK_RECORD}); log group /aws/rds/instance/slipway-db/postgresql (${NO_STACK_RECORD}); and 1 more`);
    const offline = retainedNames('slipway', '123456789012', REGION, 'tracker.example.com').filter((r) => names.includes(r.id));
    expect(outcome.fix).toBe(`remove them if the data can go: ${offline.map((r) => r.clear).join('; ')} (a trial teardown (npm run teardown -- --confirm slipway) removes what its deleted stacks left by itself); or deploy under another APP_NAME`);
  });

  it('a deployed stack owns the fixed names: no lookup by name', async () => {
    const a = makeAccount();
    a.existing.add('slipway');
    expect(await checkLeftovers.run({ config: testConfig(), clients: a.deps.clients } as unknown as PreflightContext)).toEqual({ status: 'pass', detail: 'none: no slipway stack was ever deleted here' });
  });

  it('pass once they are gone', async () => {
    const { a, check } = await tornDown();
    a.existing.clear();
    a.snapshots.length = 0;
    expect(await check()).toEqual({ status: 'pass', detail: 'none: the deleted slipway stacks left nothing that is still there' });
  });
});
