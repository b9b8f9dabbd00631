/**
 * PostgreSQL connection settings: DATABASE_URL, or the parts that ECS injects one by one
 * from the RDS secret (DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME). With DB_SECRET_ARN
 * the password is read from that secret while the process runs (`db/secret-password.ts`), so
 * a rotation of the secret needs no restart; DB_PASSWORD is then only the fallback.
 */
import { readFileSync } from 'node:fs';
import type { PoolConfig } from 'pg';
import { v, type Env, type EnvCheck } from './env.ts';

/** arn:<partition>:secretsmanager:<region>:<account>:secret:<name> */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
export const SECRET_ARN_EXAMPLE = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway/db/master-AbCdEf';

export const databaseFields = {
  DATABASE_URL: v.url(['postgres:', 'postgresql:']),
  DB_HOST: v.string(),
  DB_PORT: v.int(5432, 1, 65535),
  DB_USER: v.string(),
  DB_PASSWORD: v.string(),
  DB_SECRET_ARN: v
    .string()
    .refine((value) => value === undefined || SECRET_ARN.test(value), {
      message: `expected a Secrets Manager secret ARN, e.g. ${SECRET_ARN_EXAMPLE}`,
    }),
  DB_NAME: v.string(),
  DB_SSL: v.optionalOneOf(['disable', 'require', 'verify-full', 'true', 'false'] as const),
  DB_SSL_CA_FILE: v.string(),
  DATABASE_MAX_CONNS: v.int(10, 1, 1000),
  DATABASE_MIN_CONNS: v.int(0, 0, 1000),
};

const PARTS = ['DB_HOST', 'DB_USER', 'DB_NAME'] as const;

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/** DB_SSL_CA_FILE must be a readable PEM bundle, and only means something with verify-full. */
function caFileChecks(env: Env): EnvCheck[] {
  const file = env.DB_SSL_CA_FILE?.trim();
  if (!file) return [];
  const mode = env.DB_SSL?.trim().toLowerCase();
  if (mode !== 'verify-full') {
    return [{ name: 'DB_SSL_CA_FILE', message: `is only used with DB_SSL=verify-full (DB_SSL is ${mode ? `"${mode}"` : 'unset'}): set DB_SSL=verify-full to check the server's certificate against it, or unset DB_SSL_CA_FILE` }];
  }
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return [{ name: 'DB_SSL_CA_FILE', message: `cannot be read (${reason}); give the path of the CA bundle (PEM) that signed the database's certificate, e.g. the RDS global bundle` }];
  }
  if (!content.includes(PEM_CERTIFICATE)) {
    return [{ name: 'DB_SSL_CA_FILE', message: `holds no PEM certificate (no "${PEM_CERTIFICATE}" line); give the CA bundle in PEM form, e.g. the RDS global bundle` }];
  }
  return [];
}

export function databaseChecks(env: Env): EnvCheck[] {
  const set = (name: string) => Boolean(env[name]?.trim());
  const problems: EnvCheck[] = [];
  if (!set('DATABASE_URL')) {
    const missing = PARTS.filter((name) => !set(name));
    if (missing.length === PARTS.length) {
      problems.push({ name: 'DATABASE_URL', message: 'required: set DATABASE_URL=postgres://user:password@host:5432/db, or DB_HOST, DB_USER, DB_PASSWORD and DB_NAME' });
    } else {
      for (const name of missing) problems.push({ name, message: `required with ${PARTS.filter(set).join(', ')} (or set DATABASE_URL instead)` });
    }
  }
  if (set('DB_SECRET_ARN') && set('DATABASE_URL')) {
    problems.push({ name: 'DB_SECRET_ARN', message: 'works with DB_HOST, DB_USER and DB_NAME, not with DATABASE_URL (a URL carries its own password): unset one of them' });
  }
  problems.push(...caFileChecks(env));
  const max = Number(env.DATABASE_MAX_CONNS ?? 10);
  const min = Number(env.DATABASE_MIN_CONNS ?? 0);
  if (Number.isInteger(max) && Number.isInteger(min) && min > max) {
    problems.push({ name: 'DATABASE_MIN_CONNS', message: `must not exceed DATABASE_MAX_CONNS (${max})` });
  }
  return problems;
}

type DatabaseFields = {
  DATABASE_URL?: string;
  DB_HOST?: string;
  DB_PORT: number;
  DB_USER?: string;
  DB_PASSWORD?: string;
  DB_SECRET_ARN?: string;
  DB_NAME?: string;
  DB_SSL?: 'disable' | 'require' | 'verify-full' | 'true' | 'false';
  DB_SSL_CA_FILE?: string;
  DATABASE_MAX_CONNS: number;
  DATABASE_MIN_CONNS: number;
};

export type SslMode = 'disable' | 'require' | 'verify-full';

export interface DatabaseConfig {
  readonly pool: PoolConfig;
  /** Which settings name the server: DATABASE_URL, or DB_HOST and DB_PORT (for messages). */
  readonly source: 'DATABASE_URL' | 'DB_HOST';
  /** The server's host name as connected to (what verify-full checks the certificate against). */
  readonly host: string;
  /** DB_SSL (undefined: as DATABASE_URL's sslmode says, else disable) and DB_SSL_CA_FILE. */
  readonly ssl: { readonly mode?: SslMode; readonly caFile?: string };
  readonly maxConnections: number;
  readonly minConnections: number;
  /** host:port/database, for logs (never the password). */
  readonly target: string;
  /**
   * DB_SECRET_ARN: the secret whose `password` field is the password (`pool.password`, from
   * DB_PASSWORD, is then the fallback while the secret cannot be read).
   */
  readonly secretArn?: string;
}

export function databaseConfig(fields: DatabaseFields): DatabaseConfig {
  const sslMode: SslMode | undefined = fields.DB_SSL === 'true' ? 'require' : fields.DB_SSL === 'false' ? 'disable' : fields.DB_SSL;
  const ssl =
    sslMode === 'require'
      ? { rejectUnauthorized: false }
      : sslMode === 'verify-full'
        ? { rejectUnauthorized: true, ...(fields.DB_SSL_CA_FILE ? { ca: readFileSync(fields.DB_SSL_CA_FILE, 'utf8') } : {}) }
        : undefined;
  const common: PoolConfig = {
    max: fields.DATABASE_MAX_CONNS,
    min: fields.DATABASE_MIN_CONNS,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: 'slipway',
  };
  if (fields.DATABASE_URL) {
    const url = new URL(fields.DATABASE_URL);
    // An explicit DB_SSL wins over sslmode in the URL.
    if (ssl || sslMode === 'disable') url.searchParams.delete('sslmode');
    return {
      pool: { ...common, connectionString: url.toString(), ...(ssl ? { ssl } : {}) },
      source: 'DATABASE_URL',
      host: url.hostname,
      ssl: { mode: sslMode, caFile: fields.DB_SSL_CA_FILE },
      maxConnections: fields.DATABASE_MAX_CONNS,
      minConnections: fields.DATABASE_MIN_CONNS,
      target: `${url.hostname}:${url.port || 5432}${url.pathname}`,
    };
  }
  return {
    pool: {
      ...common,
      host: fields.DB_HOST,
      port: fields.DB_PORT,
      user: fields.DB_USER,
      password: fields.DB_PASSWORD,
      database: fields.DB_NAME,
      ...(ssl ? { ssl } : {}),
    },
    source: 'DB_HOST',
    host: fields.DB_HOST!,
    ssl: { mode: sslMode ?? 'disable', caFile: fields.DB_SSL_CA_FILE },
    maxConnections: fields.DATABASE_MAX_CONNS,
    minConnections: fields.DATABASE_MIN_CONNS,
    target: `${fields.DB_HOST}:${fields.DB_PORT}/${fields.DB_NAME}`,
    ...(fields.DB_SECRET_ARN ? { secretArn: fields.DB_SECRET_ARN } : {}),
  };
}
