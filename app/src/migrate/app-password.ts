/**
 * The password the api's login must have now: DB_APP_PASSWORD, or the AWSCURRENT `password` of
 * the secret DB_APP_SECRET_ARN (what the api reads through its own DB_SECRET_ARN). Read while
 * migrate runs, never logged. A rotation in progress (a version staged AWSPENDING only) is
 * reported, because then the database may already hold the next password while the secret
 * still hands out the current one.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html
 */
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AppPasswordSource } from '../config/app-role.ts';
import { secretRegion } from '../db/secret-password.ts';
import { MigrationError } from './runner.ts';

export interface AppPassword {
  readonly password: string;
  /** The secret's `username` field, when it has one (it must name DB_APP_USER). */
  readonly username?: string;
  /** A version of the secret is staged AWSPENDING but not AWSCURRENT: a rotation is under way. */
  readonly rotationPending: boolean;
  /** Where the password came from, for messages: the setting or the secret's ARN. */
  readonly source: string;
}

export async function readAppPassword(source: AppPasswordSource, client?: SecretsManagerClient): Promise<AppPassword> {
  if (source.kind === 'setting') return { password: source.password, rotationPending: false, source: 'DB_APP_PASSWORD' };
  const { secretArn } = source;
  const sm = client ?? new SecretsManagerClient({ region: secretRegion(secretArn) });
  let secretString: string | undefined;
  let stages: Record<string, string[]>;
  try {
    secretString = (await sm.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    stages = (await sm.send(new DescribeSecretCommand({ SecretId: secretArn }))).VersionIdsToStages ?? {};
  } catch (error) {
    throw new MigrationError(
      `could not read the api login's password from DB_APP_SECRET_ARN=${secretArn}: ${(error as Error).message}. Fix: check the ARN, and that this task may call secretsmanager:GetSecretValue and secretsmanager:DescribeSecret on it`,
    );
  }
  let parsed: { password?: unknown; username?: unknown } | null;
  try {
    parsed = JSON.parse(secretString ?? '') as typeof parsed;
  } catch {
    throw new MigrationError(`the secret DB_APP_SECRET_ARN=${secretArn} is not JSON; it must hold {"username": …, "password": …} like an RDS database secret`);
  }
  const password = parsed?.password;
  if (typeof password !== 'string' || password === '') {
    throw new MigrationError(`the secret DB_APP_SECRET_ARN=${secretArn} has no password field; it must hold {"username": …, "password": …} like an RDS database secret`);
  }
  const rotationPending = Object.values(stages).some((labels) => labels.includes('AWSPENDING') && !labels.includes('AWSCURRENT'));
  return {
    password,
    ...(typeof parsed?.username === 'string' ? { username: parsed.username } : {}),
    rotationPending,
    source: secretArn,
  };
}
