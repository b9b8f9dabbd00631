/**
 * Every AWS name that APP_NAME prefixes, in one place: the stacks build their resources with
 * these, and infra/test/names.test.ts checks them against each service's naming rules for
 * every APP_NAME the settings schema accepts.
 */
import { releaseHistoryPrefix, stackNames } from './outputs.ts';

export interface ResourceNames {
  readonly stacks: readonly string[];
  readonly attachmentsBucket: string;
  readonly logsBucket: string;
  readonly dbInstanceIdentifier: string;
  /** RDS log groups, named by RDS after the instance. */
  readonly dbLogGroups: readonly string[];
  readonly dbSecret: string;
  readonly redisReplicationGroupId: string;
  readonly redisAuthSecret: string;
  /** Prefix of the app's own secrets (`<prefix>/session-secret`, ...). */
  readonly appSecretPrefix: string;
  readonly repository: string;
  readonly cluster: string;
  readonly serviceConnectNamespace: string;
  readonly migrateFamily: string;
  readonly alarmTopic: string;
  readonly alarmPrefix: string;
  readonly dashboard: string;
  readonly releaseHistoryPrefix: string;
}

export function resourceNames(appName: string, account: string, region: string): ResourceNames {
  const dbInstanceIdentifier = `${appName}-db`;
  return {
    stacks: Object.values(stackNames(appName)),
    attachmentsBucket: `${appName}-attachments-${account}-${region}`,
    logsBucket: `${appName}-logs-${account}-${region}`,
    dbInstanceIdentifier,
    dbLogGroups: ['postgresql', 'upgrade'].map((kind) => `/aws/rds/instance/${dbInstanceIdentifier}/${kind}`),
    dbSecret: `${appName}/db/master`,
    redisReplicationGroupId: `${appName}-redis`,
    redisAuthSecret: `${appName}/redis/auth-token`,
    appSecretPrefix: `${appName}/app`,
    repository: appName,
    cluster: appName,
    serviceConnectNamespace: `${appName}.internal`,
    migrateFamily: `${appName}-migrate`,
    alarmTopic: `${appName}-alarms`,
    alarmPrefix: appName,
    // Dashboard names are global to the account: the region keeps two regions apart.
    dashboard: `${appName}-${region}`,
    releaseHistoryPrefix: releaseHistoryPrefix(appName),
  };
}
