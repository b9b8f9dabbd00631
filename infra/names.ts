/**
 * Every AWS name that APP_NAME prefixes, in one place: the stacks build their resources with
 * these, and infra/test/names.test.ts checks them against each service's naming rules for
 * every APP_NAME the settings schema accepts.
 */
import { REMOVE_COMMANDS } from '../scripts/lib/teardown/remove-commands.ts';
import { releaseHistoryPrefix, stackNames } from './outputs.ts';

export interface ResourceNames {
  readonly stacks: readonly string[];
  readonly attachmentsBucket: string;
  readonly logsBucket: string;
  readonly dbInstanceIdentifier: string;
  /** RDS log groups, named by RDS after the instance. */
  readonly dbLogGroups: readonly string[];
  readonly dbSecret: string;
  /** The api's own database login (DB_APP_LOGIN). */
  readonly dbAppSecret: string;
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
    dbAppSecret: `${appName}/db/app`,
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

/**
 * Names a teardown leaves behind on purpose (retained data) that a new deploy with the same
 * APP_NAME, account and region would collide with, each with the commands that clear it: the
 * ones teardown itself prints (scripts/lib/teardown/remove-commands.ts), so both say the same. The WAF
 * log group and the CDK-named log groups carry unique names and never collide. A test checks
 * this list against the fixed names the synthesized templates retain.
 */
export interface RetainedName {
  /** What an operator reads, e.g. `secret slipway/db/master`. */
  readonly name: string;
  /** The CloudFormation type and the name AWS knows it by (what preflight looks up). */
  readonly type: string;
  readonly id: string;
  readonly clear: string;
}

/** The optional resources the settings add (DB_APP_LOGIN, GITHUB_CLIENT_ID / GOOGLE_CLIENT_ID). */
export interface OptionalNamed {
  readonly appLogin: boolean;
  readonly oauthProviders: readonly string[];
}

/** The secret holding an OAuth provider's client secret, under the app secret prefix. */
export const oauthClientSecretName = (appSecretPrefix: string, provider: string): string => `${appSecretPrefix}/${provider}-client-secret`;

/** What the settings add, from the parsed config. */
export function optionalNamed(config: { readonly database: { readonly appLogin: boolean }; readonly oauth: { readonly githubClientId?: string; readonly googleClientId?: string } }): OptionalNamed {
  return {
    appLogin: config.database.appLogin,
    oauthProviders: [...(config.oauth.githubClientId ? ['github'] : []), ...(config.oauth.googleClientId ? ['google'] : [])],
  };
}

export function retainedNames(appName: string, account: string, region: string, sesDomain: string, optional: OptionalNamed = { appLogin: true, oauthProviders: [] }): RetainedName[] {
  const n = resourceNames(appName, account, region);
  const secrets = [
    n.dbSecret,
    ...(optional.appLogin ? [n.dbAppSecret] : []),
    n.redisAuthSecret,
    ...['session-secret', 'metrics-token', 'credentials-encryption-key'].map((s) => `${n.appSecretPrefix}/${s}`),
    ...optional.oauthProviders.map((p) => oauthClientSecretName(n.appSecretPrefix, p)),
  ];
  const named = (label: string, type: string, id: string): RetainedName => ({ name: `${label}${id}`, type, id, clear: REMOVE_COMMANDS[type]!(id, region).join(' && ') });
  return [
    ...[n.attachmentsBucket, n.logsBucket].map((b) => named('s3://', 'AWS::S3::Bucket', b)),
    ...secrets.map((s) => named('secret ', 'AWS::SecretsManager::Secret', s)),
    named('repository ', 'AWS::ECR::Repository', n.repository),
    ...n.dbLogGroups.map((g) => named('log group ', 'AWS::Logs::LogGroup', g)),
    named('SES identity ', 'AWS::SES::EmailIdentity', sesDomain),
  ];
}
