/**
 * Shared by the workspace, issue, comment, attachment, event and fuzz tests: a real
 * PostgreSQL (and Redis when asked), the API in this process, users signed in through the
 * real magic-link flow with a personal access token each, a small JSON client and an SSE
 * reader.
 */
import pg from 'pg';
import { Agent, fetch as undiciFetch } from 'undici';
import pino from 'pino';
import { buildApiServer, type ApiDependencies } from '../../src/api/server.ts';
import { startApi } from '../../src/api/run.ts';
import { registerAuth } from '../../src/api/v1/auth/index.ts';
import { registerWorkspaceRoutes, type WorkspaceRouteOptions } from '../../src/api/v1/workspaces/index.ts';
import { loadApiConfig, type ApiConfig } from '../../src/config/api.ts';
import { createPool } from '../../src/db/pool.ts';
import { readMigrations, defaultMigrationsDir } from '../../src/migrate/files.ts';
import { createRedis } from '../../src/redis/client.ts';
import { migrateWithAppRole } from '../../../test/support/app-role.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../../../test/support/servers.ts';
import { createToken, signIn } from '../support/auth.ts';
import { poolSizeSetting } from '../support/pool-size.ts';

export const APP_URL = 'http://app.slipway.test';

export interface Api {
  readonly url: string;
  stop(): Promise<void>;
}

export interface Servers {
  readonly postgres: TestPostgres;
  readonly redis?: TestRedis;
  /** The api's own login (DB_APP_USER, made by `migrate up`): what every API under test uses. */
  readonly databaseUrl: string;
  /** The owner's login, which ran the migrations. */
  readonly ownerUrl: string;
  /** A direct pool on the test database as the owner, for looking inside. */
  readonly db: pg.Pool;
  stop(): Promise<void>;
}

export async function startServers(options: { redis?: boolean; prefix?: string } = {}): Promise<Servers> {
  const postgres = await startPostgres();
  const redis = options.redis ? await startRedis() : undefined;
  const ownerUrl = await postgres.createDatabase(options.prefix ?? 'ws');
  const databaseUrl = await migrateWithAppRole(ownerUrl);
  const db = new pg.Pool({ connectionString: ownerUrl, max: 3 });
  // An idle connection dropped as the server stops is not a test failure.
  db.on('error', () => undefined);
  return {
    postgres,
    redis,
    databaseUrl,
    ownerUrl,
    db,
    async stop() {
      await db.end();
      await redis?.stop();
      await postgres.destroy();
    },
  };
}

const testLog = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function apiEnv(servers: Servers, env: Record<string, string | undefined>): Record<string, string | undefined> {
  return {
    SLIPWAY_ENV: 'test',
    HOST: '127.0.0.1',
    API_PORT: '0',
    SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0',
    SLIPWAY_SHUTDOWN_DRAIN_SECONDS: '5',
    APP_URL,
    DATABASE_URL: servers.databaseUrl,
    REDIS_URL: servers.redis?.url,
    ...poolSizeSetting(),
    ...env,
  };
}

/** The API exactly as `slipway api` runs it, in this process. */
/** The API in this process; `adjust` changes what no setting reaches (a short storage timeout, say). */
export async function startTestApi(servers: Servers, env: Record<string, string | undefined> = {}, adjust: (config: ApiConfig) => ApiConfig = (c) => c): Promise<Api> {
  const api = await startApi(adjust(loadApiConfig(apiEnv(servers, env))), testLog());
  return { url: api.url, stop: () => api.shutdown('test finished') };
}

/** The API with workspace-route options a test needs (a short heartbeat); `app` exposed for close(). */
export async function startCustomApi(
  servers: Servers,
  options: WorkspaceRouteOptions,
  env: Record<string, string | undefined> = {},
): Promise<Api & { close(): Promise<void>; routes: Array<{ method: string; url: string }> }> {
  const config = loadApiConfig(apiEnv(servers, env));
  const log = testLog();
  const pool = createPool(config.database, log);
  const redis = config.redis ? createRedis(config.redis, log) : undefined;
  const deps: ApiDependencies = { config, pool, redis, log, migrations: readMigrations(defaultMigrationsDir()), lifecycle: { draining: false } };
  const routes: Array<{ method: string; url: string }> = [];
  const app = await buildApiServer(deps, async (instance) => {
    instance.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
    });
    await registerAuth(instance, deps);
    await registerWorkspaceRoutes(instance, deps, options);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await app.close();
      await pool.end();
      redis?.disconnect();
    })());
  return { url, stop: close, close, routes };
}

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly token: string;
  readonly cookie: string;
}

/** Signs a user in through the magic-link flow and gives them an access token. */
export async function createUser(apiUrl: string, email: string): Promise<TestUser> {
  const { cookie, user } = await signIn(apiUrl, email);
  const token = await createToken(apiUrl, cookie, APP_URL);
  return { id: user.id, email: user.email, token, cookie };
}

export interface Answer<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export type Call = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer<T>>;

/** A JSON client for one user (or anonymous with no token). */
export function client(apiUrl: string, user?: Pick<TestUser, 'token'>): Call {
  return async (method, path, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (user) h.authorization = `Bearer ${user.token}`;
    if (body !== undefined) h['content-type'] ??= 'application/json';
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body: parsed as never };
  };
}

/** Creates a workspace as `user` and returns it. */
export async function createWorkspace(call: Call, slug: string, issueKey = 'ENG', name = `Workspace ${slug}`) {
  const res = await call('POST', '/api/v1/workspaces', { name, slug, issueKey });
  if (res.status !== 201) throw new Error(`create workspace ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.workspace as { id: string; slug: string; issueKey: string; role: string };
}

export async function createIssue(call: Call, slug: string, input: Record<string, unknown> = {}) {
  const res = await call('POST', `/api/v1/workspaces/${slug}/issues`, { title: 'An issue', ...input });
  if (res.status !== 201) throw new Error(`create issue in ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.issue as { id: string; number: number; key: string; title: string; status: string };
}

/** Adds `member` to the workspace: an invitation, accepted on their next request. */
export async function addMember(apiUrl: string, owner: Call, slug: string, member: TestUser, role: 'admin' | 'member' = 'member'): Promise<void> {
  const invited = await owner('POST', `/api/v1/workspaces/${slug}/invitations`, { email: member.email, role });
  if (invited.status !== 201) throw new Error(`invite ${member.email}: ${invited.status} ${JSON.stringify(invited.body)}`);
  const joined = await client(apiUrl, member)('GET', `/api/v1/workspaces/${slug}`);
  if (joined.status !== 200 || joined.body.workspace.role !== role) throw new Error(`join ${slug}: ${joined.status} ${JSON.stringify(joined.body)}`);
}

export interface SseMessage {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

export interface SseStream {
  readonly status: number;
  readonly headers: Headers;
  /** Every message received so far (comments excluded). */
  readonly messages: SseMessage[];
  /** Comment lines received so far (e.g. `heartbeat`). */
  readonly comments: string[];
  /** Resolves with the first message (received or to come) that matches, or rejects after `timeoutMs`. */
  next(match: (message: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens an event stream with fetch and parses it as it arrives. */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  // A connection of its own, closed with the stream, so no spare socket outlives it.
  const dispatcher = new Agent({ connections: 1 });
  const res = await undiciFetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal, dispatcher });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let buffer = '';
  const parse = () => {
    let index: number;
    while ((index = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('event:')) ((event = line.slice(6).trim()), (any = true));
        else if (line.startsWith('data:')) (data.push(line.slice(5).replace(/^ /, '')), (any = true));
      }
      if (any) messages.push({ id, event, data: data.join('\n') });
    }
    notify();
  };
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        parse();
      }
    } catch {
      // aborted
    } finally {
      notify();
    }
  })();
  let done = false;
  void ended.then(() => (done = true));
  return {
    status: res.status,
    headers: res.headers,
    messages,
    comments,
    ended,
    next(match, timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (done) {
            cleanup();
            reject(new Error(`stream ended before a matching message; got ${JSON.stringify(messages)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      controller.abort();
      void dispatcher.destroy().catch(() => undefined);
    },
  };
}
