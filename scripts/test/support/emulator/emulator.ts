/**
 * The emulated AWS account for the operator flows: moto (the AWS APIs) behind a proxy that
 * adds the data plane moto lacks (a PostgreSQL server per RDS instance, containers), and SDK clients pointed at it.
 * One per test file; worlds are kept apart by APP_NAME.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { buildBundle } from '../../../../app/build.ts';
import { emulatorClientConfig, startMoto, type MotoServer } from '../../../../test/support/moto.ts';
import { startMotoProxy, type MotoProxy } from '../../../../test/support/moto-proxy.ts';
import { makeClients, type AwsClients } from '../../../lib/aws.ts';
import type { Clock } from '../../../lib/wait.ts';
import { Containers } from './containers.ts';
import { Databases } from './databases.ts';

export interface Emulator {
  readonly moto: MotoServer;
  readonly proxy: MotoProxy;
  /** What the flows and the CLIs talk to (the proxy in front of moto). */
  readonly endpoint: string;
  readonly databases: Databases;
  readonly containers: Containers;
  /** Real SDK v3 clients, every call real HTTP to the emulator. */
  readonly clients: AwsClients & { logs: CloudWatchLogsClient; iam: IAMClient };
  stop(): Promise<void>;
}

export async function startEmulator(): Promise<Emulator> {
  // Services reach their desired count (moto starts no tasks for them otherwise).
  const moto = await startMoto({ env: { MOTO_ECS_SERVICE_RUNNING: '2' } });
  const proxy = await startMotoProxy(moto.endpoint);
  const databases = new Databases();
  // The tasks run what the image runs: the bundled app (built once per emulator).
  const dist = mkdtempSync(join(tmpdir(), 'slipway-image-'));
  await buildBundle(dist);
  const containers = new Containers(moto.endpoint, proxy, databases, join(dist, 'slipway.mjs'));

  // RDS control-plane calls that change what the engine serves.
  proxy.on('rds', 'CreateDBInstance', async ({ input }) => {
    await databases.create(String(input.DBInstanceIdentifier), String(input.MasterUserPassword ?? ''), input.DBName ? String(input.DBName) : undefined);
  });
  proxy.on('rds', 'RestoreDBInstanceToPointInTime', async ({ input }) => {
    const time = input.RestoreTime ? new Date(String(input.RestoreTime)) : undefined;
    await databases.restore(String(input.SourceDBInstanceIdentifier), String(input.TargetDBInstanceIdentifier), time);
  });
  proxy.on('rds', 'DeleteDBInstance', async ({ input, status }) => {
    if (status === 200) await databases.drop(String(input.DBInstanceIdentifier));
  });
  proxy.on('rds', 'ModifyDBInstance', async ({ input }) => {
    if (input.MasterUserPassword !== undefined) await databases.setPassword(String(input.DBInstanceIdentifier), String(input.MasterUserPassword));
  });

  const config = emulatorClientConfig(proxy.endpoint);
  const clients = { ...makeClients(config.region, config), logs: new CloudWatchLogsClient(config), iam: new IAMClient(config) };
  return {
    moto,
    proxy,
    endpoint: proxy.endpoint,
    databases,
    containers,
    clients,
    async stop() {
      await proxy.close();
      await moto.stop();
      await databases.destroy();
      rmSync(dist, { recursive: true, force: true });
    },
  };
}

/**
 * Real time that skips the flows' waits: sleeping moves the clock on at once (and yields a
 * moment), so a 30 s poll interval costs nothing while timestamps stay in step with moto's.
 */
export function emulatorClock(): Clock {
  let skipped = 0;
  return {
    now: () => Date.now() + skipped,
    sleep: async (ms) => {
      skipped += ms;
      await new Promise((r) => setTimeout(r, 5));
    },
  };
}
