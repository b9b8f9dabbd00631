/**
 * Round trips of the hottest read, counted by PostgreSQL itself: with `log_statement = all` on
 * the api's login, the server logs every statement it executes for the API. A first page of
 * issues is one statement (credential, membership and page together); the reads that need
 * something checked first, and everyone who is not a member, keep their earlier shape.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE } from '../../../test/support/app-role.ts';
import { client, createIssue, createUser, createWorkspace, startServers, startTestApi, type Api, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let api: Api;
let owner: TestUser;
let stranger: TestUser;
let asOwner: Call;

beforeAll(async () => {
  servers = await startServers({ prefix: 'roundtrips' });
  // Applies to the api's connections, all opened after this (the API starts below).
  await servers.db.query(`ALTER ROLE ${APP_ROLE} SET log_statement = 'all'`);
  api = await startTestApi(servers);
  owner = await createUser(api.url, 'owner@example.com');
  stranger = await createUser(api.url, 'stranger@example.com');
  asOwner = client(api.url, owner);
  await createWorkspace(asOwner, 'team', 'ENG');
  for (const title of ['Crash on save', 'Slow page', 'Export broken']) await createIssue(asOwner, 'team', { title, assigneeId: owner.id });
  // Credentials are touched at most once a minute: the first use of each writes last_used_at.
  await asOwner('GET', '/api/v1/workspaces/team/issues');
  await fetch(`${api.url}/api/v1/workspaces/team/issues`, { headers: { cookie: owner.cookie } });
  await client(api.url, stranger)('GET', '/api/v1/workspaces/team/issues');
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await servers?.stop();
});

/** The statements PostgreSQL logged for the api while `work` ran. */
async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const from = statSync(servers.postgres.logFile).size;
  await work();
  // The server writes its log line as it executes; give the write a moment to land.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const log = readFileSync(servers.postgres.logFile).subarray(from).toString('utf8');
  return log.split('\n').filter((line) => /LOG:\s+(execute|statement)\b/.test(line));
}

describe('the first page of issues', () => {
  it('is one statement with a personal access token, credential and page together', async () => {
    let answer: { status: number; body: any } | undefined;
    const statements = await statementsDuring(async () => (answer = await asOwner('GET', '/api/v1/workspaces/team/issues?limit=2')));
    expect(answer!.status).toBe(200);
    expect(answer!.body.issues.map((i: { key: string }) => i.key)).toEqual(['ENG-3', 'ENG-2']);
    expect(answer!.body.nextCursor).toEqual(expect.any(String));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/WITH credential AS/);
  });

  it('is one statement with a session cookie too', async () => {
    let status = 0;
    const statements = await statementsDuring(async () => {
      status = (await fetch(`${api.url}/api/v1/workspaces/team/issues`, { headers: { cookie: owner.cookie } })).status;
    });
    expect(status).toBe(200);
    expect(statements).toHaveLength(1);
  });

  it('is one statement with filters and for the next page', async () => {
    const first = await asOwner('GET', '/api/v1/workspaces/team/issues?limit=1');
    for (const query of ['status=open', 'status=open,closed&assignee=me', 'assignee=none', `limit=1&cursor=${first.body.nextCursor}`]) {
      let answer: { status: number; body: any } | undefined;
      const statements = await statementsDuring(async () => (answer = await asOwner('GET', `/api/v1/workspaces/team/issues?${query}`)));
      expect(answer!.status, query).toBe(200);
      expect(statements, query).toHaveLength(1);
    }
    expect((await asOwner('GET', `/api/v1/workspaces/team/issues?limit=1&cursor=${first.body.nextCursor}`)).body.issues.map((i: { key: string }) => i.key)).toEqual(['ENG-2']);
  });

  it('takes one prepared statement for every limit up to 10 (limits are rounded up, never one statement each)', async () => {
    const names = new Set<string>();
    for (let limit = 1; limit <= 10; limit++) {
      let answer: { status: number; body: any } | undefined;
      const statements = await statementsDuring(async () => (answer = await asOwner('GET', `/api/v1/workspaces/team/issues?limit=${limit}`)));
      expect(answer!.body.issues).toHaveLength(Math.min(limit, 3));
      // Exactly `limit` rows and a cursor while more are left; none once the page holds the rest.
      expect(answer!.body.nextCursor === null, `limit ${limit}`).toBe(limit >= 3);
      for (const line of statements) names.add(/execute ([^:]+):/.exec(line)?.[1] ?? line);
    }
    expect(names.size).toBe(1);
  });

  it('a search keeps its two statements (credential, then the search planned for its term)', async () => {
    for (const query of ['q=export', 'q=eng-2', 'q=%232']) {
      let answer: { status: number; body: any } | undefined;
      const statements = await statementsDuring(async () => (answer = await asOwner('GET', `/api/v1/workspaces/team/issues?${query}`)));
      expect(answer!.status, query).toBe(200);
      expect(statements, query).toHaveLength(2);
      expect(statements[0], query).not.toMatch(/WITH credential AS/);
    }
  });

  it('"assignee=me" in the one statement answers what the member\'s own id answers in the usual reads', async () => {
    const shorthand = await statementsDuring(() => asOwner('GET', '/api/v1/workspaces/team/issues?assignee=me'));
    let byId: { status: number; body: any } | undefined;
    const named = await statementsDuring(async () => (byId = await asOwner('GET', `/api/v1/workspaces/team/issues?assignee=${owner.id}`)));
    expect(shorthand).toHaveLength(1);
    // A named assignee is checked to be a member first: credential, that check, the page.
    expect(named).toHaveLength(3);
    expect((await asOwner('GET', '/api/v1/workspaces/team/issues?assignee=me')).body).toEqual(byId!.body);
  });

  it('keeps its answers for input that does not validate, a bad token and a non-member', async () => {
    expect((await asOwner('GET', '/api/v1/workspaces/team/issues?limit=0')).status).toBe(400);
    expect((await asOwner('GET', '/api/v1/workspaces/team/issues?cursor=not-a-cursor')).status).toBe(400);
    const revokedLike = client(api.url, { token: `pat_${'A'.repeat(43)}` });
    expect((await revokedLike('GET', '/api/v1/workspaces/team/issues')).status).toBe(401);
    const outsider = await client(api.url, stranger)('GET', '/api/v1/workspaces/team/issues');
    expect(outsider.status).toBe(404);
    expect(outsider.body.error.message).toMatch(/No workspace "team"/);
  });
});
