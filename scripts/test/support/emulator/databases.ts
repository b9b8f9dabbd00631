/**
 * The database engines behind moto's RDS instances: one real PostgreSQL server per instance
 * (SCRAM passwords on TCP, like RDS), so each has roles of its own, as an RDS instance does:
 * the master user `slipway` and any login the app creates (the api's). It learns what the RDS
 * API changes (a new master password, a point-in-time copy) from the calls moto answered. A
 * snapshot is a dump of the whole server (roles with their passwords, the data), so a restore
 * to a time brings back the data and every password as they were then.
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { postgresProgram, startPostgres, type TestPostgres } from '../../../../test/support/servers.ts';

interface Versioned<T> {
  readonly at: number;
  readonly value: T;
}

interface InstanceData {
  readonly server: TestPostgres;
  readonly database: string;
  /** Dumps of the whole server as it was at `at` (for point-in-time restores). */
  readonly snapshots: Array<Versioned<string>>;
}

/** The master user of every instance (the kit's and the worlds' MasterUsername). */
export const MASTER_USER = 'slipway';
const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class Databases {
  private readonly instances = new Map<string, InstanceData>();
  /** A stopped, freshly initialized server whose data directory each new instance copies. */
  private template?: Promise<TestPostgres>;

  private get(id: string): InstanceData {
    const found = this.instances.get(id.toLowerCase());
    if (!found) throw new Error(`no database engine for RDS instance ${id}`);
    return found;
  }

  /** A superuser connection over the instance's socket (trust: no password, whatever the master's is now). */
  private async admin<T>(id: string, fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
    const instance = this.get(id);
    const client = new pg.Client({ host: instance.server.socketDir, port: instance.server.port, user: MASTER_USER, database: database ?? instance.database });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  private psql(server: TestPostgres, args: string[], input?: string): string {
    const out = spawnSync(postgresProgram(args[0]!), [...args.slice(1), '-h', server.socketDir, '-p', String(server.port), '-U', MASTER_USER], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (out.status !== 0) throw new Error(`${args[0]} failed: ${out.stderr}`);
    return out.stdout;
  }

  has(id: string): boolean {
    return this.instances.has(id.toLowerCase());
  }

  /** A new instance: an empty database and its master login, or the server `dump` holds. */
  async create(id: string, password: string, database = 'postgres', dump?: string): Promise<void> {
    this.template ??= startPostgres({ superuserPassword: 'emulator-template' }).then(async (t) => {
      await t.stop();
      return t;
    });
    const server = await startPostgres({ copyOf: (await this.template).dataDir });
    this.instances.set(id.toLowerCase(), { server, database, snapshots: [] });
    if (dump) {
      // The dump's CREATE ROLE of the master user fails (it exists); its ALTER ROLE sets the
      // password of the restore point, as RDS's copy has.
      this.psql(server, ['psql', '-X', '-q', '-d', 'postgres', '-f', '-'], dump);
    } else {
      await this.admin(id, async (c) => {
        await c.query(`ALTER ROLE ${MASTER_USER} PASSWORD ${quoteLiteral(password)}`);
        if (database !== 'postgres') await c.query(`CREATE DATABASE ${quoteIdent(database)}`);
      }, 'postgres');
    }
  }

  /** What RDS does on ModifyDBInstance --master-user-password, and a rotation Lambda in SQL (any login). */
  async setPassword(id: string, password: string, role = MASTER_USER): Promise<void> {
    await this.admin(id, (c) => c.query(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(password)}`), 'postgres');
  }

  private dump(id: string): string {
    return this.psql(this.get(id).server, ['pg_dumpall', '--no-sync']);
  }

  /** Keeps the instance's roles and data as they are now, as a point a later restore can go back to. */
  async snapshot(id: string): Promise<number> {
    const instance = this.get(id);
    const value = this.dump(id);
    const at = Date.now();
    instance.snapshots.push({ at, value });
    return at;
  }

  /** A point-in-time copy: the source's roles, passwords and data as they were at `time` (latest: now). */
  async restore(sourceId: string, targetId: string, time?: Date): Promise<void> {
    const source = this.get(sourceId);
    const at = time?.getTime();
    const dump = at === undefined ? this.dump(sourceId) : [...source.snapshots].reverse().find((s) => s.at <= at)?.value;
    if (!dump) throw new Error(`no data of ${sourceId} as early as ${time?.toISOString()}: take a snapshot() before that time`);
    await this.create(targetId, '', source.database, dump);
  }

  /** What RDS does once DeleteDBInstance is accepted. */
  async drop(id: string): Promise<void> {
    const instance = this.instances.get(id.toLowerCase());
    this.instances.delete(id.toLowerCase());
    await instance?.server.destroy();
  }

  /** Connection settings for a task that names this instance. */
  connection(id: string): { host: string; port: number; user: string; database: string } {
    const instance = this.get(id);
    return { host: '127.0.0.1', port: instance.server.port, user: MASTER_USER, database: instance.database };
  }

  /** Signs in over TCP as `user` (default: the master user), as the app would: true when the engine accepts the password. */
  async acceptsPassword(id: string, password: string, user = MASTER_USER): Promise<boolean> {
    const { host, port, database } = this.connection(id);
    const client = new pg.Client({ host, port, user, database, password });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '28P01') return false;
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Runs SQL on the instance's data as the master user (seeding rows, reading what a restore brought back). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(id: string, sql: string, params: unknown[] = []): Promise<R[]> {
    return this.admin(id, async (c) => (await c.query<R>(sql, params)).rows);
  }

  async destroy(): Promise<void> {
    for (const id of [...this.instances.keys()]) await this.drop(id);
    if (this.template) await (await this.template).destroy();
  }
}
