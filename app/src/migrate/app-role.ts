/**
 * The api's own login (DB_APP_USER), kept by migrate while it holds the migration lock: the
 * owner of the schema creates the role when it is missing, grants it data access and nothing
 * else, gives it the password the api will read, and proves both before the api rolls.
 *
 * - Grants converge to one exact set on every run (revoke all, grant the set, in one
 *   transaction, so a running api never sees a gap): read and write rows of every table and
 *   use every sequence in the schema, read-only on the migrations table (readiness reads it),
 *   and default privileges so tables and sequences later migrations create are covered too.
 * - The password is only set when the role is new or signing in with the current one fails,
 *   and then as a SCRAM verifier (scram.ts). While a rotation is under way it is left alone:
 *   the rotation sets it. https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html
 * - Afterwards the role is checked: no superuser, CREATEDB, CREATEROLE, replication or RLS
 *   bypass, no membership in any role (rds_superuser included), no CREATE on the database or
 *   schema, owns nothing. Anything else stops migrate (and so the deploy) with the fix.
 */
import pg from 'pg';
import type { AppPassword } from './app-password.ts';
import { MIGRATIONS_TABLE, MigrationError } from './runner.ts';
import { scramVerifier } from './scram.ts';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** Signs in as `user` with `password`: true when accepted, false when the password is rejected (28P01). */
export type SignIn = (user: string, password: string) => Promise<boolean>;

export interface AppRoleOptions {
  /** DB_APP_USER. */
  readonly role: string;
  readonly password: AppPassword;
  readonly signIn: SignIn;
}

export interface AppRoleResult {
  readonly created: boolean;
  /** The role's password was (re)set to the current value. */
  readonly passwordSet: boolean;
  /** The schema whose tables and sequences it may use. */
  readonly schema: string;
}

const TABLE_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE';
const SEQUENCE_PRIVILEGES = 'USAGE, SELECT';

interface RoleRow {
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolcanlogin: boolean;
}

async function readRole(db: Queryable, role: string): Promise<RoleRow | undefined> {
  const { rows } = await db.query<RoleRow>(
    'SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1',
    [role],
  );
  return rows[0];
}

/** The statements that give `role` exactly its data access in `schema` (idempotent). */
export function grantStatements(role: string, schema: string, database: string, hasMigrationsTable = true): string[] {
  const r = pg.escapeIdentifier(role);
  const s = pg.escapeIdentifier(schema);
  const readOnlyMigrations = hasMigrationsTable ? [`REVOKE INSERT, UPDATE, DELETE ON ${s}.${pg.escapeIdentifier(MIGRATIONS_TABLE)} FROM ${r}`] : [];
  return [
    `GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${r}`,
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`,
    `GRANT ${TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    ...readOnlyMigrations,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`,
    `GRANT ${SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    // For what the owner (the role running migrate) creates later, even outside migrate.
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} REVOKE ALL ON TABLES FROM ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT ${TABLE_PRIVILEGES} ON TABLES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} REVOKE ALL ON SEQUENCES FROM ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT ${SEQUENCE_PRIVILEGES} ON SEQUENCES TO ${r}`,
  ];
}

/**
 * Creates the role or corrects its attributes, and converges its grants, in one transaction.
 * SUPERUSER, REPLICATION and BYPASSRLS are only named at creation: a non-superuser owner (the
 * RDS master user) may not mention them in ALTER ROLE, and the check afterwards catches them.
 */
async function createAndGrant(client: pg.ClientBase, role: string, password: string): Promise<{ created: boolean; schema: string }> {
  const r = pg.escapeIdentifier(role);
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ schema: string; database: string; migrations: boolean }>(
      'SELECT current_schema() AS schema, current_database() AS database, to_regclass($1) IS NOT NULL AS migrations',
      [MIGRATIONS_TABLE],
    );
    const { schema, database, migrations } = rows[0]!;
    const existing = await readRole(client, role);
    if (!existing) {
      await client.query(
        `CREATE ROLE ${r} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD ${pg.escapeLiteral(scramVerifier(password))}`,
      );
    } else {
      const fixes = [existing.rolcanlogin ? '' : 'LOGIN', existing.rolcreatedb ? 'NOCREATEDB' : '', existing.rolcreaterole ? 'NOCREATEROLE' : ''].filter(Boolean);
      if (fixes.length) await client.query(`ALTER ROLE ${r} WITH ${fixes.join(' ')}`);
    }
    for (const statement of grantStatements(role, schema, database, migrations)) await client.query(statement);
    await client.query('COMMIT');
    return { created: !existing, schema };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const e = error as { message?: string; code?: string };
    throw new MigrationError(
      `could not create or grant the api login "${role}": ${e.message ?? String(error)}${e.code ? ` [${e.code}]` : ''}. Fix: migrate must sign in as the schema's owner with CREATEROLE (the RDS master user has both)`,
    );
  }
}

/** What the role may do beyond reading and writing rows, each with its fix. Empty: least privilege. */
export async function excessPrivileges(db: Queryable, role: string): Promise<string[]> {
  const { rows } = await db.query<RoleRow & { create_in_database: boolean; create_in_schema: boolean; member_of: string[]; owns: string[]; schema: string }>(
    `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, r.rolcanlogin,
            has_database_privilege(r.oid, current_database(), 'CREATE') AS create_in_database,
            has_schema_privilege(r.oid, current_schema(), 'CREATE') AS create_in_schema,
            current_schema() AS schema,
            ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of,
            ARRAY(SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relowner = r.oid
                  UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = r.oid
                  UNION ALL SELECT 'database ' || datname FROM pg_database WHERE datdba = r.oid ORDER BY 1) AS owns
       FROM pg_roles r WHERE r.rolname = $1`,
    [role],
  );
  const row = rows[0];
  if (!row) return [`the role does not exist`];
  const name = pg.escapeIdentifier(role);
  const problems: string[] = [];
  const superuserOnly = (attribute: string, off: string) => `it has ${attribute} (only a superuser can remove it: ALTER ROLE ${name} ${off})`;
  if (row.rolsuper) problems.push(superuserOnly('SUPERUSER', 'NOSUPERUSER'));
  if (row.rolreplication) problems.push(superuserOnly('REPLICATION', 'NOREPLICATION'));
  if (row.rolbypassrls) problems.push(superuserOnly('BYPASSRLS', 'NOBYPASSRLS'));
  if (row.rolcreaterole) problems.push(`it has CREATEROLE (ALTER ROLE ${name} NOCREATEROLE)`);
  if (row.rolcreatedb) problems.push(`it has CREATEDB (ALTER ROLE ${name} NOCREATEDB)`);
  if (row.member_of.length) problems.push(`it is a member of ${row.member_of.join(', ')} (REVOKE ${row.member_of.map((g) => pg.escapeIdentifier(g)).join(', ')} FROM ${name})`);
  if (row.create_in_database) problems.push(`it may CREATE in the database (REVOKE CREATE ON DATABASE … FROM ${name}, and from PUBLIC if granted there)`);
  if (row.create_in_schema) {
    problems.push(`it may CREATE in schema ${row.schema} (databases created before PostgreSQL 15 grant that to PUBLIC: REVOKE CREATE ON SCHEMA ${pg.escapeIdentifier(row.schema)} FROM PUBLIC, ${name})`);
  }
  if (row.owns.length) problems.push(`it owns ${row.owns.join(', ')} (an owner may alter and drop it: ALTER … OWNER TO the migrate login)`);
  return problems;
}

export async function ensureAppRole(client: pg.ClientBase, options: AppRoleOptions): Promise<AppRoleResult> {
  const { role, password, signIn } = options;
  if (password.username !== undefined && password.username !== role) {
    throw new MigrationError(
      `the secret ${password.source} is for the login "${password.username}", but DB_APP_USER is "${role}". Fix: set DB_APP_USER=${password.username}, or point DB_APP_SECRET_ARN at the secret of ${role}`,
    );
  }
  const { created, schema } = await createAndGrant(client, role, password.password);

  let passwordSet = created;
  if (!(await signIn(role, password.password))) {
    if (password.rotationPending) {
      throw new MigrationError(
        `the api login "${role}" does not accept the current password of ${password.source} while a rotation of that secret is under way (a version is staged AWSPENDING). Fix: let the rotation finish (aws secretsmanager describe-secret --secret-id ${password.source}), then run migrate again; if it failed, see runbooks/secret-rotation.md`,
      );
    }
    await client.query(`ALTER ROLE ${pg.escapeIdentifier(role)} WITH PASSWORD ${pg.escapeLiteral(scramVerifier(password.password))}`);
    passwordSet = true;
    if (!(await signIn(role, password.password))) {
      throw new MigrationError(`the api login "${role}" still refuses the password of ${password.source} after it was set. Fix: check the server's pg_hba.conf and password_encryption`);
    }
  }

  const problems = await excessPrivileges(client, role);
  if (problems.length) {
    throw new MigrationError(`the api login "${role}" may do more than read and write data: ${problems.join('; ')}. Fix it as said and run migrate again`);
  }
  return { created, passwordSet, schema };
}
