/**
 * A first page read with the credential comes back as JSON written by PostgreSQL
 * (issueJsonSql); every other page is mapped and serialized in node. The two must be the same
 * bytes. `assignee=me` takes the first path and `assignee=<the caller's id>` the second over the
 * very same issues, so the test reads both through the real API (its response serializer on
 * one side) for content that JSON escapes, timestamps with microseconds, null and set
 * assignees, authors and closing times, every page size the literal limits round to, and
 * every page of the walk; and, below the API, in a session in another time zone.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_SQL, withCompanion } from '../../src/api/v1/auth/credentials.ts';
import { hashToken } from '../../src/api/v1/context.ts';
import { ISSUE_COLUMNS, pageJsonBody, pageWithCredential, toIssueJson, type IssueRow, type PageJsonRow } from '../../src/api/v1/workspaces/issue-queries.ts';
import { rawTimestamps } from '../../src/db/timestamps.ts';
import { client, createIssue, createUser, createWorkspace, startServers, startTestApi, type Api, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let api: Api;
let owner: TestUser;
let asOwner: Call;

const TITLES = [
  'Quote " and backslash \\ and slash /',
  'Tab\tnewline\ncarriage\rreturn',
  'Control \u0001\u0008\u000b\u000c\u001f and DEL \u007f',
  'Unicode: café, 日本語, emoji 🚀👩🏽‍💻, line sep \u2028 para sep \u2029',
  '</script><script>alert(1)</script>',
  'Plain title',
];

beforeAll(async () => {
  servers = await startServers({ prefix: 'pagejson' });
  api = await startTestApi(servers);
  owner = await createUser(api.url, 'owner@example.com');
  asOwner = client(api.url, owner);
  await createWorkspace(asOwner, 'team', 'ENG');
  for (let n = 0; n < 130; n++) {
    const title = TITLES[n % TITLES.length]!;
    const issue = await createIssue(asOwner, 'team', {
      title: `${title} #${n}`,
      description: n % 3 === 0 ? `Description "${n}"\n\twith\u0002 ${TITLES[(n + 1) % TITLES.length]}` : '',
      status: (['open', 'in_progress', 'closed'] as const)[n % 3],
      priority: (['none', 'low', 'medium', 'high', 'urgent'] as const)[n % 5],
      assigneeId: n % 2 === 0 ? owner.id : null,
    });
    expect(issue.number).toBe(n + 1);
  }
  // Microseconds that milliseconds truncate (never round), a whole second, and an author gone.
  await servers.db.query(`UPDATE issues SET created_at = '2026-12-01 23:59:59.999999+00', updated_at = '2027-01-01 00:00:00+00' WHERE number % 4 = 0`);
  await servers.db.query(`UPDATE issues SET updated_at = '1999-02-28 12:00:00.0005+00', closed_at = '2026-06-30 21:59:59.000999+02' WHERE number % 7 = 0 AND status = 'closed'`);
  await servers.db.query(`UPDATE issues SET author_id = NULL WHERE number % 5 = 0`);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await servers?.stop();
});

async function rawPage(path: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${owner.token}` } });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

describe('a page PostgreSQL writes as JSON', () => {
  for (const limit of [1, 9, 10, 11, 24, 25, 26, 49, 50, 51, 99, 100]) {
    it(`is byte for byte the page node serializes, on every page of the walk with limit ${limit}`, async () => {
      let cursor: string | null = null;
      let seen = 0;
      let pages = 0;
      do {
        const after: string = cursor === null ? '' : `&cursor=${cursor}`;
        const written = await rawPage(`/api/v1/workspaces/team/issues?assignee=me&limit=${limit}${after}`);
        const serialized = await rawPage(`/api/v1/workspaces/team/issues?assignee=${owner.id}&limit=${limit}${after}`);
        expect(written.status).toBe(200);
        expect(written.contentType).toBe('application/json; charset=utf-8');
        expect(written.contentType).toBe(serialized.contentType);
        expect(written.text).toBe(serialized.text);
        const body = JSON.parse(written.text) as { issues: { number: number }[]; nextCursor: string | null };
        expect(body.issues.length).toBe(Math.min(limit, 65 - seen));
        seen += body.issues.length;
        pages += 1;
        cursor = body.nextCursor;
      } while (cursor !== null);
      expect(seen).toBe(65); // the issues assigned to the owner, each once
      expect(pages).toBe(Math.ceil(65 / limit));
    });
  }

  it('holds every title and description as it was sent (escapes undone by any JSON parser)', async () => {
    const written = JSON.parse((await rawPage('/api/v1/workspaces/team/issues?limit=100')).text) as { issues: { number: number; title: string; description: string; authorId: string | null; createdAt: string }[] };
    expect(written.issues).toHaveLength(100);
    for (const issue of written.issues) {
      const n = issue.number - 1;
      expect(issue.title).toBe(`${TITLES[n % TITLES.length]} #${n}`);
      expect(issue.description).toBe(n % 3 === 0 ? `Description "${n}"\n\twith\u0002 ${TITLES[(n + 1) % TITLES.length]}` : '');
      expect(issue.authorId).toBe(issue.number % 5 === 0 ? null : owner.id);
      if (issue.number % 4 === 0) expect(issue.createdAt).toBe('2026-12-01T23:59:59.999Z');
    }
  });

  it('is an empty page with no cursor where nothing matches', async () => {
    await createWorkspace(asOwner, 'empty', 'EMP');
    const written = await rawPage('/api/v1/workspaces/empty/issues');
    expect(written.status).toBe(200);
    expect(written.text).toBe('{"issues":[],"nextCursor":null}');
  });
});

describe('issueJsonSql below the API', () => {
  it('writes what toIssueJson and JSON.stringify write, in a session in another time zone', async () => {
    const db = new pg.Client({ connectionString: servers.ownerUrl });
    await db.connect();
    try {
      await db.query(`SET TIME ZONE 'America/St_Johns'`);
      for (const limit of [10, 25, 50, 100]) {
        const statement = withCompanion(TOKEN_SQL, [hashToken(owner.token), 'team'], pageWithCredential({ limit }));
        const { rows } = await db.query<{ part: number } & PageJsonRow>({ ...statement, types: rawTimestamps });
        expect(rows.map((row) => row.part)).toEqual([0, 1]);
        const issues = (
          await db.query<IssueRow>({ text: `SELECT ${ISSUE_COLUMNS} FROM issues i JOIN workspaces w ON w.id = i.workspace_id WHERE w.slug = 'team' ORDER BY i.number DESC LIMIT $1`, values: [limit + 1], types: rawTimestamps })
        ).rows;
        const page = issues.slice(0, limit);
        const expected = JSON.stringify({ issues: page.map((row) => toIssueJson(row, 'ENG')), nextCursor: issues.length > limit ? Buffer.from(JSON.stringify({ n: page[page.length - 1]!.number })).toString('base64url') : null });
        expect(pageJsonBody(rows[1]!)).toBe(expected);
      }
    } finally {
      await db.end();
    }
  });
});
