/**
 * Names a drill gives what it creates. RDS instance identifiers are 1-63 letters, digits and
 * hyphens, start with a letter, and have no two hyphens in a row and none at the end
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints);
 * APP_NAME may contain "--", so it is folded. A random part keeps two drills started in the
 * same second apart; the drill also checks that the name is free before using it.
 */
import { randomBytes } from 'node:crypto';

export const RDS_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/;

export interface DrillNames {
  /** `drill-20260302100000-k3f9`: the tag value and the report folder. */
  readonly drillId: string;
  /** `<app>-restore-20260302100000-k3f9`: the restored instance. */
  readonly restoredInstance: string;
}

/** Four lower-case letters and digits. */
export function randomSuffix(): string {
  return [...randomBytes(4)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
}

export function drillNames(appName: string, at: number, suffix: string): DrillNames {
  const stamp = new Date(at).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const app = appName.replace(/-+/g, '-').replace(/-$/, '');
  const restoredInstance = `${app}-restore-${stamp}-${suffix}`;
  if (!RDS_IDENTIFIER.test(restoredInstance) || restoredInstance.endsWith('-')) {
    throw new Error(`the restored instance name ${restoredInstance} derived from APP_NAME=${appName} is not a valid RDS identifier. Fix: use an APP_NAME of letters, digits and single hyphens`);
  }
  return { drillId: `drill-${stamp}-${suffix}`, restoredInstance };
}
