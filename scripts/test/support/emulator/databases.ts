/**
 * The database engines behind moto's RDS instances: one real PostgreSQL server (SCRAM
 * passwords on TCP, like RDS) holds one database and one login role per instance. It learns
 * what the RDS API changes (a new master password, a point-in-time copy) from the calls moto
 * answered, and keeps each instance's password history and data snapshots so a restore to a
 * time gets the data and the password the source had then.
 */
import pg from 'pg';
import type { TestPostgres } from '../../../../test/support/servers.ts';

interface Versioned<T> {
  readonly at: number;
  readonly value: T;
}

interface InstanceData {
  readonly id: string;
  readonly database: string;
  readonly role: string;
  readonly passwords: Array<Versioned<string>>;
  /** Databases holding the instance's data as it was at `at` (for point-in-time restores). */
  readonly snapshots: Array<Versioned<string>>;
}

const ident = (id: string) => `rds_${id.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class Databases {
  private readonly instances = new Map<string, InstanceData>();
  private counter = 0;

  constructor(readonly server: TestPostgres) {}

  private async admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.server.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  private get(id: string): InstanceData {
    const found = this.instances.get(id.toLowerCase());
    if (!found) throw new Error(`no database engine for RDS instance ${id}`);
    return found;
  }

  has(id: string): boolean {
    return this.instances.has(id.toLowerCase());
  }

  /** A new instance: an empty database and its master login. */
  async create(id: string, password: string, template?: string): Promise<void> {
    const key = id.toLowerCase();
    const database = `${ident(key)}_${this.counter++}`;
    const role = `${ident(key)}_${this.counter++}`;
    await this.admin(async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD ${quoteLiteral(password)}`);
      await c.query(`CREATE DATABASE ${database}${template ? ` TEMPLATE ${template}` : ''} OWNER ${role}`);
    });
    this.instances.set(key, { id: key, database, role, passwords: [{ at: Date.now(), value: password }], snapshots: [] });
  }

  /** What RDS does on ModifyDBInstance --master-user-password (and the rotation Lambda in SQL). */
  async setPassword(id: string, password: string): Promise<void> {
    const instance = this.get(id);
    await this.admin((c) => c.query(`ALTER ROLE ${instance.role} PASSWORD ${quoteLiteral(password)}`));
    instance.passwords.push({ at: Date.now(), value: password });
  }

  /** Keeps the instance's data as it is now, as a point a later restore can go back to. */
  async snapshot(id: string): Promise<number> {
    const instance = this.get(id);
    const name = `${instance.database}_at_${this.counter++}`;
    await this.admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${instance.database}`));
    const at = Date.now();
    instance.snapshots.push({ at, value: name });
    return at;
  }

  /** A point-in-time copy: the source's data and master password as they were at `time` (latest: now). */
  async restore(sourceId: string, targetId: string, time?: Date): Promise<void> {
    const source = this.get(sourceId);
    const at = time?.getTime() ?? Date.now();
    const base = time ? [...source.snapshots].reverse().find((s) => s.at <= at)?.value : source.database;
    if (!base) throw new Error(`no data of ${sourceId} as early as ${time?.toISOString()}: take a snapshot() before that time`);
    const password = [...source.passwords].reverse().find((p) => p.at <= at)?.value ?? source.passwords[0]!.value;
    await this.create(targetId, password, base);
  }

  /** Connection settings for a task that names this instance (user and database are the engine's). */
  connection(id: string): { host: string; port: number; user: string; database: string } {
    const instance = this.get(id);
    return { host: '127.0.0.1', port: this.server.port, user: instance.role, database: instance.database };
  }

  /** Signs in with a password, as the app would: true when the engine accepts it. */
  async acceptsPassword(id: string, password: string): Promise<boolean> {
    const { host, port, user, database } = this.connection(id);
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

  /** Runs SQL on the instance's data (seeding rows, reading what a restore brought back). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(id: string, sql: string, params: unknown[] = []): Promise<R[]> {
    const instance = this.get(id);
    const url = new URL(this.server.url);
    url.pathname = `/${instance.database}`;
    const client = new pg.Client({ connectionString: url.href });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }
}
