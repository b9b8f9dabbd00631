/**
 * The secrets the tasks read their database connection from (DB_HOST/DB_PORT at start, the
 * password through DB_SECRET_ARN), and keeping them in agreement with the instance in use:
 * the master secret (migrate), whose password RDS sets (ModifyDBInstance), and, with
 * DB_APP_LOGIN, the api's own login, a role in the database whose password `migrate app-role`
 * sets in SQL.
 */
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { StackOutputs } from '../stacks.ts';

export interface SecretShape {
  host?: string;
  port?: number | string;
  password?: string;
  dbInstanceIdentifier?: string;
  [key: string]: unknown;
}

export interface DatabaseSecret {
  readonly arn: string;
  /**
   * `master`: RDS's master user; its password is part of the instance. `login`: the api's own
   * login, a role inside the database (a restored copy has the password of its restore point).
   */
  readonly kind: 'master' | 'login';
}

/** The master secret first, then the api login's when the data stack has one (DbAppSecretArn). */
export async function databaseSecrets(outputs: StackOutputs): Promise<DatabaseSecret[]> {
  const master: DatabaseSecret = { arn: await outputs.get('dbSecretArn'), kind: 'master' };
  const login = await outputs.find('dbAppSecretArn');
  return login ? [master, { arn: login, kind: 'login' }] : [master];
}

export function masterSecret(list: readonly DatabaseSecret[]): DatabaseSecret {
  const master = list.find((s) => s.kind === 'master');
  if (!master) throw new Error('no master database secret among the database secrets');
  return master;
}

export async function readDbSecret(secrets: SecretsManagerClient, arn: string): Promise<SecretShape> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  return JSON.parse(out.SecretString ?? '{}') as SecretShape;
}

export async function pointSecretAt(secrets: SecretsManagerClient, arn: string, host: string, port: number, instance?: string): Promise<void> {
  const current = await readDbSecret(secrets, arn);
  const next: SecretShape = { ...current, host, port };
  if (instance && 'dbInstanceIdentifier' in current) next.dbInstanceIdentifier = instance;
  await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(next) }));
}

export async function pointSecretsAt(secrets: SecretsManagerClient, list: readonly DatabaseSecret[], to: { host: string; port: number; instance?: string }): Promise<void> {
  for (const s of list) await pointSecretAt(secrets, s.arn, to.host, to.port, to.instance);
}

/**
 * A rotation half done (a version staged AWSPENDING) would set a password the secret does not
 * yet hand out: wait for it rather than repoint in between.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html
 */
export async function assertNoRotationRunning(secrets: SecretsManagerClient, list: readonly DatabaseSecret[]): Promise<void> {
  for (const s of list) {
    const out = await secrets.send(new DescribeSecretCommand({ SecretId: s.arn }));
    const pending = Object.values(out.VersionIdsToStages ?? {}).some((stages) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'));
    if (pending) {
      throw new Error(`a rotation of ${s.arn} is in progress (a version is staged AWSPENDING). Fix: wait until it finishes (aws secretsmanager describe-secret --secret-id ${s.arn}), then run this again`);
    }
  }
}

/** The ModifyDBInstance change that gives an instance the master password the secret holds now. */
export async function masterPasswordChange(secrets: SecretsManagerClient, list: readonly DatabaseSecret[]): Promise<{ MasterUserPassword?: string }> {
  const master = list.find((s) => s.kind === 'master');
  if (!master) return {};
  const password = (await readDbSecret(secrets, master.arn)).password;
  if (!password) throw new Error(`the database secret ${master.arn} has no password field`);
  return { MasterUserPassword: password };
}
