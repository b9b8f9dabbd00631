/**
 * The restore drill against the AWS API emulator: every AWS call is real HTTP to moto, the
 * validation tasks run the app's own `migrate status` and `stats` against real PostgreSQL.
 */
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../lib/restore/drill.ts';
import type { DrillOptions } from '../lib/restore/options.ts';
import { startEmulator, type Emulator } from './support/emulator/emulator.ts';
import { flowDeps } from './support/emulator/flow.ts';
import { buildWorld, type World } from './support/emulator/world.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await w.app.close();
});
async function world(appName: string, options: Partial<Parameters<typeof buildWorld>[1]> = {}): Promise<World> {
  const w = await buildWorld(emulator, { appName, ...options });
  worlds.push(w);
  return w;
}

function options(w: World, o: Partial<DrillOptions> = {}): DrillOptions {
  return {
    config: w.config,
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

const instanceIds = async (w: World) =>
  ((await emulator.clients.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).map((i) => i.DBInstanceIdentifier!).filter((id) => id.startsWith(`${w.appName}-`));

describe('restore drill against the emulator', { timeout: 240_000 }, () => {
  it('restores, validates with the real app commands, stores the report and deletes the copy', async () => {
    const w = await world('drill-a');
    await w.seed({ issues: 30, comments: 2 });
    const { deps } = flowDeps(w);
    const result = await runDrill(options(w), deps);
    expect(result.ok, result.summary).toBe(true);
    const report = (result.document as { report: { restoredInstance: string; drillId: string; rows: Array<{ table: string; source: number; restored: number }> } }).report;
    expect(report.rows).toEqual([
      { table: 'workspaces', source: 1, restored: 1, drift: 0 },
      { table: 'users', source: 1, restored: 1, drift: 0 },
      { table: 'issues', source: 30, restored: 30, drift: 0 },
      { table: 'comments', source: 60, restored: 60, drift: 0 },
      { table: 'attachments', source: 0, restored: 0, drift: 0 },
    ]);
    // the validation tasks ran the real commands against the copy and the source
    expect([...emulator.containers.ran.values()].filter((r) => r.dbHost?.startsWith(`${w.appName}-`)).map((r) => `${r.dbHost!.split('.')[0]} ${r.command} ${r.exitCode}`)).toEqual([
      `${report.restoredInstance} migrate status 0`,
      `${report.restoredInstance} stats 0`,
      `${w.sourceId} migrate status 0`,
      `${w.sourceId} stats 0`,
    ]);
    const stored = await emulator.clients.s3.send(new GetObjectCommand({ Bucket: w.bucket, Key: `drills/${report.drillId}/report.json` }));
    expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({ validation: 'passed', restoredInstance: report.restoredInstance });
    expect(await instanceIds(w)).toEqual([w.sourceId]);
  });
});
