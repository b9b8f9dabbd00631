/**
 * The drill's instances: every instance a drill restores carries the drill tag, the app tag
 * and the source tag, and only those are ever listed as the drill's own.
 */
import { DescribeDBInstancesCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';

export const DRILL_TAG = 'slipway:restore-drill';
export const APP_TAG = 'slipway:app';
export const SOURCE_TAG = 'slipway:restore-source';
/**
 * Set on a copy when the app is cut over to it (the time), and its end on rollback: the copy
 * then holds the writes made while cut over, so deleting it takes a final snapshot.
 */
export const SERVED_TAG = 'slipway:served-production';
export const SERVED_UNTIL_TAG = 'slipway:served-production-until';

export function tagsOf(instance: DBInstance): Record<string, string> {
  return Object.fromEntries((instance.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

export function isDrillInstance(instance: DBInstance, appName: string): boolean {
  const tags = tagsOf(instance);
  return Boolean(tags[DRILL_TAG]) && tags[APP_TAG] === appName;
}

export async function describeInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (error) {
    if ((error as Error).name === 'DBInstanceNotFoundFault') return undefined;
    throw error;
  }
}

export async function listDrillInstances(rds: RDSClient, appName: string): Promise<DBInstance[]> {
  const found: DBInstance[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBInstancesCommand({ Marker: marker }));
    found.push(...(page.DBInstances ?? []).filter((i) => isDrillInstance(i, appName)));
    marker = page.Marker;
  } while (marker);
  return found;
}
