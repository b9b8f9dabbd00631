/** The cutover record (SSM), so --rollback, cleanup, drills and deploys know what is live. */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

export interface CutoverRecord {
  readonly drillId: string;
  readonly restoredInstance: string;
  readonly restoredHost: string;
  readonly restoredPort: number;
  readonly previousInstance?: string;
  readonly previousHost: string;
  readonly previousPort: number;
  readonly at: string;
}

export const cutoverParameter = (appName: string) => `/${appName}/restore/cutover`;

export async function readCutover(ssm: SSMClient, appName: string): Promise<CutoverRecord | undefined> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: cutoverParameter(appName) }));
    return JSON.parse(out.Parameter?.Value ?? '') as CutoverRecord;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return undefined;
    throw error;
  }
}
