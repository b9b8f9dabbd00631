import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** What a task needs to sign in: plain environment and `ecs.Secret` fields (never values). */
export interface TaskLogin {
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, ecs.Secret>>;
}

export interface DatabaseLogins {
  /** The api: its own login when there is one, else the master user. */
  readonly api: TaskLogin;
  /** migrate: the master user (the schema's owner), told which api login to keep. */
  readonly migrate: TaskLogin;
  /** Lets each task role read the secrets its process reads while running, and no other. */
  grantRead(roles: { readonly api: iam.IGrantable; readonly migrate: iam.IGrantable }): void;
}

/**
 * The DB_* fields of a secret, injected at task start, and DB_SECRET_ARN, through which the
 * process reads the password again while running (a rotation needs no restart).
 */
function signInWith(secret: secretsmanager.ISecret): TaskLogin {
  const field = (name: string) => ecs.Secret.fromSecretsManager(secret, name);
  return {
    environment: { DB_SECRET_ARN: secret.secretArn },
    secrets: { DB_HOST: field('host'), DB_PORT: field('port'), DB_USER: field('username'), DB_PASSWORD: field('password'), DB_NAME: field('dbname') },
  };
}

/**
 * Which database login each task uses. With an app secret the api signs in as its own login
 * (data access only) and migrate, as the master user, keeps that login: DB_APP_USER is the
 * secret's `username`, DB_APP_SECRET_ARN the secret whose password migrate gives it. Without
 * one, both use the master secret, as before.
 */
export function databaseLogins(master: secretsmanager.ISecret, app?: secretsmanager.ISecret): DatabaseLogins {
  const owner = signInWith(master);
  if (!app) {
    return {
      api: owner,
      migrate: owner,
      grantRead: ({ api, migrate }) => {
        master.grantRead(api);
        master.grantRead(migrate);
      },
    };
  }
  return {
    api: signInWith(app),
    migrate: {
      environment: { ...owner.environment, DB_APP_SECRET_ARN: app.secretArn },
      secrets: { ...owner.secrets, DB_APP_USER: ecs.Secret.fromSecretsManager(app, 'username') },
    },
    grantRead: ({ api, migrate }) => {
      app.grantRead(api);
      master.grantRead(migrate);
      app.grantRead(migrate);
    },
  };
}
