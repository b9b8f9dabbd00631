/**
 * The database storage check against the AWS API emulator: the data stack is created by moto's
 * CloudFormation with a real instance in it, storage autoscaling is stood in for by growing the
 * instance with ModifyDBInstance, and the check reads both back. What moto cannot produce (an
 * instance still optimizing its last storage change) comes from aws-sdk-client-mock.
 */
import { CloudFormationClient, CreateStackCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorClientConfig, startMoto, type MotoServer } from '../../test/support/moto.ts';
import { stackNames } from '../../infra/outputs.ts';
import { makeClients, type AwsClients } from '../lib/aws.ts';
import type { PreflightContext } from '../lib/preflight-check.ts';
import { checkDatabaseStorage, leastIncreaseGiB } from '../lib/preflight-storage.ts';
import { testConfig } from './support/world.ts';

let moto: MotoServer;
let clients: AwsClients;
beforeAll(async () => {
  moto = await startMoto();
  clients = makeClients(emulatorClientConfig(moto.endpoint).region, emulatorClientConfig(moto.endpoint));
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

const INSTANCE = 'slipway-db';
// A number, not the string CDK writes: moto's CloudFormation keeps a string and then fails ModifyDBInstance.
const template = (allocated: number) =>
  JSON.stringify({
    Resources: {
      DatabaseInstance: {
        Type: 'AWS::RDS::DBInstance',
        Properties: { DBInstanceIdentifier: INSTANCE, Engine: 'postgres', DBInstanceClass: 'db.t4g.medium', AllocatedStorage: allocated, MasterUsername: 'slipway', MasterUserPassword: 'emulator-only-password-1' },
      },
    },
  });

/** The data stack deployed with `deployedGiB`, its instance grown to `nowGiB` (as autoscaling does). */
async function dataStack(deployedGiB: number, nowGiB = deployedGiB) {
  await clients.cfn.send(new CreateStackCommand({ StackName: stackNames('slipway').data, TemplateBody: template(deployedGiB) }));
  if (nowGiB !== deployedGiB) await clients.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: INSTANCE, AllocatedStorage: nowGiB, ApplyImmediately: true }));
  const live = (await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: INSTANCE }))).DBInstances?.[0];
  expect(live?.AllocatedStorage).toBe(nowGiB);
}

const run = (allocated: number, over: Partial<Pick<AwsClients, 'cfn' | 'rds'>> = {}) =>
  checkDatabaseStorage.run({ config: testConfig({ ALARM_EMAIL: 'ops@example.com', DB_ALLOCATED_STORAGE_GIB: String(allocated), DB_MAX_ALLOCATED_STORAGE_GIB: '400' }), clients: { ...clients, ...over } } as unknown as PreflightContext);

describe('database storage check', () => {
  it('passes a first deploy, before there is a data stack', async () => {
    expect(await run(50)).toEqual({ status: 'pass', detail: 'no database yet: the first deploy allocates 50 GiB' });
  });

  it('passes the deployed value even after autoscaling grew the instance past it (CloudFormation does not send it)', async () => {
    await dataStack(50, 80);
    expect(await run(50)).toEqual({ status: 'pass', detail: 'DB_ALLOCATED_STORAGE_GIB=50 as deployed: the deploy leaves the storage alone' });
  });

  it('refuses a new value below what autoscaling grew the instance to, naming both ways out', async () => {
    await dataStack(50, 80);
    expect(await run(60)).toEqual({
      status: 'fail',
      detail: "DB_ALLOCATED_STORAGE_GIB=60 is below the 80 GiB slipway-db has now (storage autoscaling grew it from 50); RDS never shrinks storage, so the data stack's update would fail",
      fix: 'set DB_ALLOCATED_STORAGE_GIB back to 50, as deployed (the deploy then leaves the storage as it is, and autoscaling goes on growing it), or to at least 88',
    });
  });

  it('refuses an increase of less than 10 %, and passes one of 10 %', async () => {
    await dataStack(50, 80);
    expect(leastIncreaseGiB(80)).toBe(88);
    // 50 * 1.1 is 55.000000000000007 in floating point: the least increase is 55, not 56.
    expect(leastIncreaseGiB(50)).toBe(55);
    expect(await run(87)).toMatchObject({ status: 'fail', detail: expect.stringContaining('DB_ALLOCATED_STORAGE_GIB=87 is less than 10 % above the 80 GiB slipway-db has now') });
    expect(await run(88)).toEqual({ status: 'pass', detail: 'slipway-db grows from 80 to 88 GiB' });
  });

  it('passes a value that only catches the setting up with the instance', async () => {
    await dataStack(50, 80);
    expect(await run(80)).toEqual({ status: 'pass', detail: 'DB_ALLOCATED_STORAGE_GIB=80 matches the 80 GiB slipway-db has now (storage autoscaling grew it from 50)' });
  });

  it('refuses growth while the last storage change is still optimizing', async () => {
    const cfn = mockClient(CloudFormationClient);
    const rds = mockClient(RDSClient);
    // The string CDK writes.
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: template(50).replace('"AllocatedStorage":50', '"AllocatedStorage":"50"') });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: INSTANCE, AllocatedStorage: 80, DBInstanceStatus: 'storage-optimization' }] });
    const outcome = await run(100, { cfn: new CloudFormationClient({}), rds: new RDSClient({}) });
    expect(outcome).toMatchObject({ status: 'fail', detail: 'slipway-db is still optimizing its last storage change; RDS accepts no other storage change until that is done and 6 hours have passed' });
    cfn.restore();
    rds.restore();
  });
});
