/**
 * DB_ALLOCATED_STORAGE_GIB against the database as it is now. RDS never shrinks storage, an
 * increase must be at least 10 %, and no other storage change is accepted while the last one is
 * still optimizing
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.ScalingUp.html).
 * Storage autoscaling grows the instance past the value it was deployed with, so a new value
 * that looks like growth can be below the instance by now. CloudFormation only sends the
 * property when the template's value changes, so an unchanged setting is always fine; a changed
 * one that RDS refuses fails the data stack's update, and such an update has been seen to fail
 * its rollback too (UPDATE_ROLLBACK_FAILED). Preflight says so before, with the sizes.
 */
import { GetTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { minStorageCeilingGiB } from '../../infra/config.ts';
import { stackNames } from '../../infra/outputs.ts';
import { oneLine } from './cli.ts';
import { fail, pass, type PreflightCheck } from './preflight-check.ts';

/** The database instance of the deployed data stack: its identifier and the storage its template gives. */
export interface DeployedStorage {
  readonly instanceIdentifier: string;
  readonly allocatedGiB: number;
}

/** Reads the data stack's deployed template; undefined when there is no data stack or no instance in it yet. */
export async function deployedStorage(cfn: CloudFormationClient, dataStack: string): Promise<DeployedStorage | undefined> {
  let body: string | undefined;
  try {
    body = (await cfn.send(new GetTemplateCommand({ StackName: dataStack, TemplateStage: 'Original' }))).TemplateBody;
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
  const resources = (JSON.parse(body ?? '{}') as { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> }).Resources ?? {};
  const instance = Object.values(resources).find((r) => r.Type === 'AWS::RDS::DBInstance');
  const id = instance?.Properties?.DBInstanceIdentifier;
  const allocated = Number(instance?.Properties?.AllocatedStorage);
  if (typeof id !== 'string' || !Number.isFinite(allocated)) return undefined;
  return { instanceIdentifier: id, allocatedGiB: allocated };
}

/** The smallest size RDS accepts as growth of `currentGiB`: 10 % more, as for the autoscaling ceiling. */
export const leastIncreaseGiB = minStorageCeilingGiB;

export const checkDatabaseStorage: PreflightCheck = {
  name: 'database storage',
  aws: true,
  run: async ({ config, clients }) => {
    const wanted = config.database.allocatedStorageGiB;
    const deployed = await deployedStorage(clients.cfn, stackNames(config.appName).data);
    if (!deployed) return pass(`no database yet: the first deploy allocates ${wanted} GiB`);
    if (deployed.allocatedGiB === wanted) return pass(`DB_ALLOCATED_STORAGE_GIB=${wanted} as deployed: the deploy leaves the storage alone`);

    const id = deployed.instanceIdentifier;
    let instance;
    try {
      instance = (await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    } catch (error) {
      return fail(`DB_ALLOCATED_STORAGE_GIB changes from ${deployed.allocatedGiB} to ${wanted} GiB, but ${id} could not be read: ${oneLine(error)}`, `check that ${id} exists (aws rds describe-db-instances --db-instance-identifier ${id}) and run preflight again`);
    }
    const current = instance?.AllocatedStorage;
    if (current === undefined) return fail(`DB_ALLOCATED_STORAGE_GIB changes from ${deployed.allocatedGiB} to ${wanted} GiB, but RDS gave no size for ${id}`, 'run preflight again');
    const grown = current > deployed.allocatedGiB ? ` (storage autoscaling grew it from ${deployed.allocatedGiB})` : '';
    const fix = `set DB_ALLOCATED_STORAGE_GIB back to ${deployed.allocatedGiB}, as deployed (the deploy then leaves the storage as it is, and autoscaling goes on growing it), or to at least ${leastIncreaseGiB(current)}`;
    if (wanted < current) {
      return fail(`DB_ALLOCATED_STORAGE_GIB=${wanted} is below the ${current} GiB ${id} has now${grown}; RDS never shrinks storage, so the data stack's update would fail`, fix);
    }
    if (wanted > current && wanted < leastIncreaseGiB(current)) {
      return fail(`DB_ALLOCATED_STORAGE_GIB=${wanted} is less than 10 % above the ${current} GiB ${id} has now${grown}; RDS refuses a smaller increase, so the data stack's update would fail`, fix);
    }
    if (instance?.DBInstanceStatus === 'storage-optimization' && wanted > current) {
      return fail(
        `${id} is still optimizing its last storage change; RDS accepts no other storage change until that is done and 6 hours have passed`,
        `deploy the new size later (aws rds describe-db-instances --db-instance-identifier ${id} shows the status), or set DB_ALLOCATED_STORAGE_GIB back to ${deployed.allocatedGiB} for this deploy`,
      );
    }
    return pass(wanted === current ? `DB_ALLOCATED_STORAGE_GIB=${wanted} matches the ${current} GiB ${id} has now${grown}` : `${id} grows from ${current} to ${wanted} GiB`);
  },
};
