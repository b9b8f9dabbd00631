/** The database secret the tasks read DB_HOST/DB_PORT from, and repointing it. */
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretShape {
  host?: string;
  port?: number | string;
  dbInstanceIdentifier?: string;
  [key: string]: unknown;
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
