/**
 * The api's own database login, which `migrate` (signed in as the schema owner) creates and
 * keeps: DB_APP_USER names it; its password is DB_APP_PASSWORD, or the `password` field of the
 * secret DB_APP_SECRET_ARN, read while migrate runs. All unset: there is no second login and
 * the api signs in like migrate (the embedded database of `npm start` and most local setups).
 */
import { SECRET_ARN, SECRET_ARN_EXAMPLE } from './database.ts';
import { v, type Env, type EnvCheck } from './env.ts';

export const appRoleFields = {
  DB_APP_USER: v.string(),
  DB_APP_PASSWORD: v.string(),
  DB_APP_SECRET_ARN: v.string(),
};

/** A plain lower-case identifier: no quoting surprises in grants, logs or the rotation Lambda. */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Prefixes PostgreSQL and RDS keep for their own roles. */
const RESERVED_PREFIXES = ['pg_', 'rds'];
/** Printable ASCII: what SCRAM hashes the same as the server does (no SASLprep surprises). */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
export const MIN_APP_PASSWORD_LENGTH = 16;

/** The user migrate signs in as, from DATABASE_URL or DB_USER (for the "must differ" rule). */
function ownerUser(env: Env): string | undefined {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    try {
      return decodeURIComponent(new URL(url).username) || undefined;
    } catch {
      return undefined;
    }
  }
  return env.DB_USER?.trim() || undefined;
}

function roleNameChecks(name: string, env: Env): EnvCheck[] {
  if (!ROLE_NAME.test(name)) {
    return [{ name: 'DB_APP_USER', message: 'expected a lower-case PostgreSQL role name (a-z, 0-9 and _, not starting with a digit, at most 63 characters), e.g. slipway_app' }];
  }
  const reserved = RESERVED_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (reserved) return [{ name: 'DB_APP_USER', message: `starts with "${reserved}", which PostgreSQL or RDS keep for their own roles; choose another name, e.g. slipway_app` }];
  const owner = ownerUser(env);
  if (owner === name) {
    return [{ name: 'DB_APP_USER', message: `is the login migrate itself uses (${env.DATABASE_URL?.trim() ? "DATABASE_URL's user" : 'DB_USER'}); the api's login must be a second role, e.g. slipway_app` }];
  }
  return [];
}

function passwordChecks(password: string): EnvCheck[] {
  if (!PRINTABLE_ASCII.test(password)) {
    return [{ name: 'DB_APP_PASSWORD', message: 'may hold printable ASCII characters only (no spaces); generate one with: openssl rand -base64 32' }];
  }
  if (password.length < MIN_APP_PASSWORD_LENGTH) {
    return [{ name: 'DB_APP_PASSWORD', message: `is shorter than ${MIN_APP_PASSWORD_LENGTH} characters; generate one with: openssl rand -base64 32` }];
  }
  return [];
}

/** Rules across DB_APP_USER, DB_APP_PASSWORD and DB_APP_SECRET_ARN. */
export function appRoleChecks(env: Env): EnvCheck[] {
  const value = (name: string) => env[name]?.trim() || undefined;
  const user = value('DB_APP_USER');
  const password = value('DB_APP_PASSWORD');
  const secretArn = value('DB_APP_SECRET_ARN');
  if (!user) {
    return (['DB_APP_PASSWORD', 'DB_APP_SECRET_ARN'] as const)
      .filter((name) => value(name))
      .map((name) => ({ name, message: 'is only used with DB_APP_USER (the api login that migrate creates): set DB_APP_USER too, or unset this' }));
  }
  const problems = roleNameChecks(user, env);
  if (password && secretArn) {
    problems.push({ name: 'DB_APP_PASSWORD', message: 'and DB_APP_SECRET_ARN both give the password of DB_APP_USER: keep one (DB_APP_SECRET_ARN with Secrets Manager, else DB_APP_PASSWORD)' });
  } else if (!password && !secretArn) {
    problems.push({ name: 'DB_APP_USER', message: 'needs its password: set DB_APP_SECRET_ARN (a Secrets Manager secret with a password field) or DB_APP_PASSWORD' });
  }
  if (secretArn && !SECRET_ARN.test(secretArn)) {
    problems.push({ name: 'DB_APP_SECRET_ARN', message: `expected a Secrets Manager secret ARN, e.g. ${SECRET_ARN_EXAMPLE.replace('master', 'app')}` });
  }
  if (password) problems.push(...passwordChecks(password));
  return problems;
}

/** Where the api login's password comes from. */
export type AppPasswordSource = { readonly kind: 'setting'; readonly password: string } | { readonly kind: 'secret'; readonly secretArn: string };

export interface AppRoleConfig {
  /** DB_APP_USER: the role the api signs in as. */
  readonly user: string;
  readonly password: AppPasswordSource;
}

type AppRoleFields = { DB_APP_USER?: string; DB_APP_PASSWORD?: string; DB_APP_SECRET_ARN?: string };

/** The api login migrate keeps, or undefined when DB_APP_USER is unset (the feature is off). */
export function appRoleConfig(fields: AppRoleFields): AppRoleConfig | undefined {
  if (!fields.DB_APP_USER) return undefined;
  const password: AppPasswordSource = fields.DB_APP_SECRET_ARN
    ? { kind: 'secret', secretArn: fields.DB_APP_SECRET_ARN }
    : { kind: 'setting', password: fields.DB_APP_PASSWORD! };
  return { user: fields.DB_APP_USER, password };
}
