/**
 * The api's own login (DB_APP_USER) on a real PostgreSQL that checks passwords (SCRAM), with
 * migrate signed in as an owner that is not a superuser but may create roles and databases,
 * like the RDS master user: what the role may and may not do, that its grants converge, and
 * that its password follows the setting.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE, APP_ROLE_PASSWORD, appRoleEnv, urlAs } from '../../test/support/app-role.ts';
import { migrate, runCommand } from '../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { pruneOnce } from '../src/events/retention.ts';
import { collectStats } from '../src/stats/command.ts';

const SUPERUSER_PASSWORD = 'superuser-test-password';
const OWNER = 'owner';
const OWNER_PASSWORD = 'owner-test-password-0123';

let server: TestPostgres;
let superuserUrl: string;

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

let databaseCounter = 0;
/** A database owned by `owner` (like the RDS master user's), and its URL as the owner. */
async function ownedDatabase(): Promise<string> {
  const name = `approle_${databaseCounter++}`;
  await withClient(superuserUrl, (c) => c.query(`CREATE DATABASE ${name} OWNER ${OWNER}`));
  return urlAs(superuserUrl.replace(/\/postgres$/, `/${name}`), OWNER, OWNER_PASSWORD);
}

/** The error code PostgreSQL answers signing in as `url`'s login and running `sql` with, or 'ok'. */
async function outcome(url: string, sql: string): Promise<string> {
  try {
    await withClient(url, (c) => c.query(sql));
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** The `msg` of every JSON log line a command printed. */
function messages(output: string): string[] {
  return output.split('\n').flatMap((line) => {
    try {
      return [String((JSON.parse(line) as { msg?: unknown }).msg)];
    } catch {
      return [];
    }
  });
}

beforeAll(async () => {
  server = await startPostgres({ superuserPassword: SUPERUSER_PASSWORD });
  superuserUrl = server.url;
  await withClient(superuserUrl, (c) => c.query(`CREATE ROLE ${OWNER} LOGIN CREATEROLE CREATEDB PASSWORD '${OWNER_PASSWORD}'`));
});
afterAll(async () => server?.destroy());

describe('migrate up with DB_APP_USER', () => {
  let ownerUrl: string;
  let appUrl: string;
  let output: string;
  beforeAll(async () => {
    ownerUrl = await ownedDatabase();
    output = await migrate(ownerUrl, appRoleEnv());
    appUrl = urlAs(ownerUrl, APP_ROLE, APP_ROLE_PASSWORD);
  });

  it('creates the login with the password from DB_APP_PASSWORD and says so, without logging it', async () => {
    expect(messages(output)).toContain(`api login ${APP_ROLE}: created; password set from DB_APP_PASSWORD; data access to schema public granted; no DDL, no role management`);
    expect(output).not.toContain(APP_ROLE_PASSWORD);
    expect(output).not.toContain('SCRAM-SHA-256$');
    expect(await outcome(appUrl, 'SELECT 1')).toBe('ok');
    expect(await outcome(urlAs(ownerUrl, APP_ROLE, 'not-the-password-at-all'), 'SELECT 1')).toBe('28P01');
  });

  it('gives the login no superuser, database, role-management or replication rights and no memberships', async () => {
    const { rows } = await withClient(superuserUrl, (c) =>
      c.query(
        `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin,
                (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships
           FROM pg_roles r WHERE rolname = $1`,
        [APP_ROLE],
      ),
    );
    expect(rows).toEqual([{ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true, memberships: 0 }]);
  });

  it.each([
    ['CREATE TABLE', 'CREATE TABLE intruder (id int)'],
    ['ALTER TABLE', 'ALTER TABLE issues ADD COLUMN intruder int'],
    ['DROP TABLE', 'DROP TABLE comments'],
    ['CREATE INDEX', 'CREATE INDEX intruder_idx ON issues (title)'],
    ['TRUNCATE', 'TRUNCATE workspace_events'],
    ['CREATE ROLE', 'CREATE ROLE intruder LOGIN'],
    ['CREATE SCHEMA', 'CREATE SCHEMA intruder'],
    ['CREATE DATABASE', 'CREATE DATABASE intruder'],
    ['GRANT itself more', `ALTER ROLE ${APP_ROLE} CREATEDB`],
    ['mark a migration applied', `INSERT INTO slipway_migrations (version, name, checksum, duration_ms) VALUES (9999, 'x', 'x', 0)`],
    ['forget a migration', 'DELETE FROM slipway_migrations'],
  ])('refuses %s to the api login (permission denied)', async (_what, sql) => {
    expect(await outcome(appUrl, sql)).toBe('42501');
  });

  it('lets the api login read and write rows and use the sequences', async () => {
    await withClient(appUrl, async (c) => {
      const ws = await c.query(`INSERT INTO workspaces (slug, name, issue_key) VALUES ('eng', 'Engineering', 'ENG') RETURNING id`);
      const id = ws.rows[0].id as string;
      await c.query(`UPDATE workspaces SET name = 'Engineering team' WHERE id = $1`, [id]);
      const event = await c.query(`INSERT INTO workspace_events (workspace_id, type, payload) VALUES ($1, 'issue.created', '{}') RETURNING id`, [id]);
      expect(Number(event.rows[0].id)).toBeGreaterThan(0);
      expect((await c.query('SELECT count(*)::int AS n FROM slipway_migrations')).rows[0].n).toBeGreaterThan(0);
      await c.query('DELETE FROM workspace_events WHERE workspace_id = $1', [id]);
      await c.query('DELETE FROM workspaces WHERE id = $1', [id]);
    });
  });

  it('runs the live-update pruning job (advisory lock, delete) and `slipway stats` as the api login', async () => {
    const pool = new pg.Pool({ connectionString: appUrl, max: 2 });
    try {
      const ws = await pool.query(`INSERT INTO workspaces (slug, name, issue_key) VALUES ('ops', 'Ops', 'OPS') RETURNING id`);
      await pool.query(`INSERT INTO workspace_events (workspace_id, type, payload, created_at) VALUES ($1, 'issue.created', '{}', now() - interval '30 days')`, [ws.rows[0].id]);
      expect(await pruneOnce(pool, 7)).toBe(1);
      await withClient(appUrl, async (c) => expect((await collectStats(c)).counts.workspaces).toBe(1));
      const run = runCommand(['stats'], { DATABASE_URL: appUrl });
      expect(await run.exited).toBe(0);
      expect(JSON.parse(run.output().trim()).counts.workspaces).toBe(1);
    } finally {
      await pool.end();
    }
  });
});

describe('the api login across runs', () => {
  /** Everything that says what the login may do: attributes, table and sequence ACLs, default ACLs. */
  async function privileges(database: string): Promise<unknown> {
    return withClient(urlAs(superuserUrl.replace(/\/postgres$/, `/${database}`), 'slipway', SUPERUSER_PASSWORD), async (c) => {
      const acl = await c.query(`SELECT relname, relkind, relacl::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S') ORDER BY relname`);
      const defaults = await c.query('SELECT defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY defaclobjtype');
      const role = await c.query('SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
      return { acl: acl.rows, defaults: defaults.rows, role: role.rows };
    });
  }

  it('converges to the same grants on every `migrate up`', async () => {
    const ownerUrl = await ownedDatabase();
    const database = new URL(ownerUrl).pathname.slice(1);
    await migrate(ownerUrl, appRoleEnv());
    const first = await privileges(database);
    const again = await migrate(ownerUrl, appRoleEnv());
    expect(messages(again)).toContain(`api login ${APP_ROLE}: exists; password already current; data access to schema public granted; no DDL, no role management`);
    await migrate(ownerUrl, appRoleEnv());
    expect(await privileges(database)).toEqual(first);
    expect(JSON.stringify(first)).toContain(`${APP_ROLE}=arwd/${OWNER}`);
  });

  it('takes away privileges granted by hand beyond the set', async () => {
    const ownerUrl = await ownedDatabase();
    const appUrl = await (async () => (await migrate(ownerUrl, appRoleEnv()), urlAs(ownerUrl, APP_ROLE, APP_ROLE_PASSWORD)))();
    await withClient(ownerUrl, (c) => c.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`));
    expect(await outcome(appUrl, 'TRUNCATE workspace_events')).toBe('ok');
    await migrate(ownerUrl, appRoleEnv());
    expect(await outcome(appUrl, 'TRUNCATE workspace_events')).toBe('42501');
  });

  it('covers the tables and sequences a later migration creates', async () => {
    const ownerUrl = await ownedDatabase();
    await migrate(ownerUrl, appRoleEnv());
    // Created by the owner outside migrate: only the default privileges can cover it.
    await withClient(ownerUrl, (c) => c.query('CREATE TABLE later_table (id bigserial PRIMARY KEY, note text)'));
    const appUrl = urlAs(ownerUrl, APP_ROLE, APP_ROLE_PASSWORD);
    expect(await outcome(appUrl, `INSERT INTO later_table (note) VALUES ('x')`)).toBe('ok');
    expect(await outcome(appUrl, 'DROP TABLE later_table')).toBe('42501');
  });

  it('gives the login the configured password again when it no longer matches', async () => {
    const ownerUrl = await ownedDatabase();
    await migrate(ownerUrl, appRoleEnv());
    await withClient(ownerUrl, (c) => c.query(`ALTER ROLE ${APP_ROLE} PASSWORD 'a-password-nobody-knows'`));
    const appUrl = urlAs(ownerUrl, APP_ROLE, APP_ROLE_PASSWORD);
    expect(await outcome(appUrl, 'SELECT 1')).toBe('28P01');
    const output = await migrate(ownerUrl, appRoleEnv());
    expect(messages(output)).toContain(`api login ${APP_ROLE}: exists; password set from DB_APP_PASSWORD; data access to schema public granted; no DDL, no role management`);
    expect(await outcome(appUrl, 'SELECT 1')).toBe('ok');
  });

  it('stops migrate when the login may do more than read and write rows, naming each excess and its fix', async () => {
    const ownerUrl = await ownedDatabase();
    await migrate(ownerUrl, appRoleEnv());
    await withClient(ownerUrl, async (c) => {
      await c.query('CREATE ROLE admins');
      await c.query(`GRANT admins TO ${APP_ROLE}`);
      await c.query(`GRANT CREATE ON SCHEMA public TO ${APP_ROLE}`);
    });
    try {
      const run = runCommand(['migrate', 'up'], { DATABASE_URL: ownerUrl, ...appRoleEnv() });
      expect(await run.exited).toBe(1);
      expect(messages(run.output())).toContain(
        `migration failed: the api login "${APP_ROLE}" may do more than read and write data: it is a member of admins (REVOKE "admins" FROM "${APP_ROLE}"); it may CREATE in schema public (databases created before PostgreSQL 15 grant that to PUBLIC: REVOKE CREATE ON SCHEMA "public" FROM PUBLIC, "${APP_ROLE}"). Fix it as said and run migrate again`,
      );
    } finally {
      // Roles belong to the whole server: leave the login as the other tests expect it.
      await withClient(ownerUrl, (c) => c.query(`REVOKE admins FROM ${APP_ROLE}; REVOKE CREATE ON SCHEMA public FROM ${APP_ROLE}; DROP ROLE admins`));
    }
  });
});

describe('migrate app-role', () => {
  it('only keeps the login: a copy whose login has another password gets the configured one', async () => {
    const ownerUrl = await ownedDatabase();
    await migrate(ownerUrl);
    // A restored copy: its login still has the password of the restore point.
    await withClient(ownerUrl, (c) => c.query(`ALTER ROLE ${APP_ROLE} PASSWORD 'the-password-at-the-restore-point'`));
    const run = runCommand(['migrate', 'app-role'], { DATABASE_URL: ownerUrl, ...appRoleEnv(), LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(0);
    expect(messages(run.output())).toContain(`api login ${APP_ROLE}: exists; password set from DB_APP_PASSWORD; data access to schema public granted; no DDL, no role management`);
    expect(run.output()).not.toContain('applying');
    expect(await outcome(urlAs(ownerUrl, APP_ROLE, APP_ROLE_PASSWORD), 'SELECT count(*) FROM issues')).toBe('ok');
  });

  it('refuses to run without DB_APP_USER, saying what to set', async () => {
    const run = runCommand(['migrate', 'app-role'], { DATABASE_URL: await ownedDatabase() });
    expect(await run.exited).toBe(2);
    expect(messages(run.output())).toContain('migrate app-role keeps the api login named by DB_APP_USER, which is not set: set DB_APP_USER and DB_APP_SECRET_ARN (or DB_APP_PASSWORD)');
  });
});
