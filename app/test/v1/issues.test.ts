/**
 * Issues against the real API and PostgreSQL: numbers under concurrent creates, lookup by
 * number or key, updates and close/reopen, delete rules, keyset pagination that stays stable
 * while issues are added, and the filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, client, createIssue, createUser, createWorkspace, startServers, startTestApi, type Api, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let api: Api;
let owner: TestUser;
let member: TestUser;
let outsider: TestUser;
let asOwner: Call;
let asMember: Call;

beforeAll(async () => {
  servers = await startServers({ prefix: 'issues' });
  api = await startTestApi(servers);
  [owner, member, outsider] = await Promise.all(['owner@example.com', 'member@example.com', 'outsider@example.com'].map((e) => createUser(api.url, e)));
  asOwner = client(api.url, owner);
  asMember = client(api.url, member);
  for (const [slug, key] of [
    ['eng', 'ENG'],
    ['burst', 'BST'],
    ['pages', 'PG'],
    ['find', 'FND'],
  ] as const) {
    await createWorkspace(asOwner, slug, key);
    await addMember(api.url, asOwner, slug, member);
  }
  await createWorkspace(client(api.url, outsider), 'elsewhere', 'ENG');
});
afterAll(async () => {
  await api?.stop();
  await servers?.stop();
});

describe('issues', () => {
  it('creates an issue with defaults and reads it by number or by key', async () => {
    const created = await asMember('POST', '/api/v1/workspaces/eng/issues', { title: '  Login button is off by one pixel  ' });
    expect(created.status).toBe(201);
    const issue = created.body.issue;
    expect(issue).toMatchObject({
      number: 1,
      key: 'ENG-1',
      title: 'Login button is off by one pixel',
      description: '',
      status: 'open',
      priority: 'none',
      assigneeId: null,
      authorId: member.id,
      closedAt: null,
    });
    expect(Date.parse(issue.createdAt)).not.toBeNaN();
    for (const ref of ['1', 'ENG-1', 'eng-1']) {
      const read = await asOwner('GET', `/api/v1/workspaces/eng/issues/${ref}`);
      expect(read.status).toBe(200);
      expect(read.body.issue).toEqual(issue);
    }
    // Another workspace's key, a number that does not exist, one beyond any integer: 404.
    for (const ref of ['OPS-1', '999', '99999999999']) {
      expect((await asOwner('GET', `/api/v1/workspaces/eng/issues/${ref}`)).status).toBe(404);
    }
    const bad = await asOwner('GET', '/api/v1/workspaces/eng/issues/one');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('ref');
  });

  it('validates bodies with the field path', async () => {
    const res = await asOwner('POST', '/api/v1/workspaces/eng/issues', { title: '', priority: 'asap', status: 'done', assigneeId: 'bob' });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['assigneeId', 'priority', 'status', 'title']);
    const notMember = await asOwner('POST', '/api/v1/workspaces/eng/issues', { title: 'x', assigneeId: outsider.id });
    expect(notMember.status).toBe(400);
    expect(notMember.body.error.issues).toEqual([{ path: 'assigneeId', message: 'is not a member of this workspace' }]);
    const nul = await asOwner('POST', '/api/v1/workspaces/eng/issues', { title: 'a\u0000b' });
    expect(nul.status).toBe(400);
    const long = await asOwner('POST', '/api/v1/workspaces/eng/issues', { title: 'x'.repeat(301) });
    expect(long.body.error.issues[0]).toEqual({ path: 'title', message: 'must be at most 300 characters' });
    const nothing = await asOwner('PATCH', '/api/v1/workspaces/eng/issues/1', { unknown: 1 });
    expect(nothing.status).toBe(400);
  });

  it('updates fields, and close/reopen set and clear closedAt', async () => {
    const issue = await createIssue(asOwner, 'eng', { title: 'Crash on save', priority: 'high' });
    const path = `/api/v1/workspaces/eng/issues/${issue.key}`;
    const updated = await asMember('PATCH', path, { title: 'Crash on save (Safari)', assigneeId: member.id, description: 'Steps: …', status: 'in_progress' });
    expect(updated.status).toBe(200);
    expect(updated.body.issue).toMatchObject({ title: 'Crash on save (Safari)', assigneeId: member.id, description: 'Steps: …', status: 'in_progress', priority: 'high', closedAt: null });
    expect(Date.parse(updated.body.issue.updatedAt)).toBeGreaterThanOrEqual(Date.parse(updated.body.issue.createdAt));

    const closed = await asMember('POST', `${path}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body.issue.status).toBe('closed');
    expect(closed.body.issue.closedAt).not.toBeNull();
    const closedAgain = await asMember('POST', `${path}/close`);
    expect(closedAgain.body.issue.closedAt).toBe(closed.body.issue.closedAt);
    const reopened = await asMember('POST', `${path}/reopen`);
    expect(reopened.body.issue).toMatchObject({ status: 'open', closedAt: null });
    const viaPatch = await asMember('PATCH', path, { status: 'closed', assigneeId: null, description: null });
    expect(viaPatch.body.issue).toMatchObject({ status: 'closed', assigneeId: null, description: '' });
    expect(viaPatch.body.issue.closedAt).not.toBeNull();
  });

  it('lets the author or an admin delete an issue, not other members', async () => {
    const mine = await createIssue(asMember, 'eng', { title: 'Mine' });
    const theirs = await createIssue(asOwner, 'eng', { title: 'Theirs' });
    const forbidden = await asMember('DELETE', `/api/v1/workspaces/eng/issues/${theirs.number}`);
    expect(forbidden.status).toBe(403);
    expect((await asMember('DELETE', `/api/v1/workspaces/eng/issues/${mine.number}`)).status).toBe(204);
    expect((await asOwner('DELETE', `/api/v1/workspaces/eng/issues/${theirs.number}`)).status).toBe(204);
    expect((await asOwner('GET', `/api/v1/workspaces/eng/issues/${theirs.number}`)).status).toBe(404);
    // Numbers are never reused after a delete.
    const next = await createIssue(asOwner, 'eng', { title: 'After' });
    expect(next.number).toBe(theirs.number + 1);
  });

  it('numbers 50 concurrent creates 1..50 with no duplicates', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? asOwner : asMember)('POST', '/api/v1/workspaces/burst/issues', { title: `Burst ${i}` })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const numbers = results.map((r) => r.body.issue.number as number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const stored = await servers.db.query(`SELECT count(DISTINCT number)::int AS n, max(number) AS max FROM issues i JOIN workspaces w ON w.id = i.workspace_id WHERE w.slug = 'burst'`);
    expect(stored.rows[0]).toEqual({ n: 50, max: 50 });
  });
});

describe('listing', () => {
  it('pages newest first with an opaque cursor, stable while new issues arrive', async () => {
    for (let i = 1; i <= 23; i++) await createIssue(asOwner, 'pages', { title: `Page item ${i}` });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=5&cursor=${encodeURIComponent(cursor)}` : '?limit=5';
      const res = await asMember('GET', `/api/v1/workspaces/pages/issues${query}`);
      expect(res.status).toBe(200);
      expect(res.body.issues.length).toBeLessThanOrEqual(5);
      seen.push(...res.body.issues.map((i: { number: number }) => i.number));
      cursor = res.body.nextCursor;
      // New issues created mid-way do not shift later pages.
      if (pages++ === 1) await createIssue(asOwner, 'pages', { title: 'Arrived while paging' });
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => 23 - i));
    expect(pages).toBe(5);

    const first = await asMember('GET', '/api/v1/workspaces/pages/issues');
    expect(first.body.issues).toHaveLength(24);
    expect(first.body.nextCursor).toBeNull();
    expect(first.body.issues[0]).toMatchObject({ number: 24, key: 'PG-24' });
  });

  it('rejects bad limits and cursors with the field path', async () => {
    for (const limit of ['0', '101', 'ten', '', '1.5', '-1']) {
      const res = await asMember('GET', `/api/v1/workspaces/pages/issues?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.body.error.issues[0].path).toBe('limit');
    }
    for (const cursor of ['garbage', Buffer.from('{"n":-3}').toString('base64url'), Buffer.from('[]').toString('base64url'), '%%%']) {
      const res = await asMember('GET', `/api/v1/workspaces/pages/issues?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body.error.issues[0].path).toBe('cursor');
    }
    expect((await asMember('GET', '/api/v1/workspaces/pages/issues?limit=100')).status).toBe(200);
  });

  it('filters by status, assignee and title text (wildcards matched literally)', async () => {
    const a = await createIssue(asOwner, 'find', { title: 'Export to CSV', assigneeId: member.id });
    const b = await createIssue(asOwner, 'find', { title: '100% CPU on export', status: 'in_progress', assigneeId: owner.id });
    const c = await createIssue(asOwner, 'find', { title: 'snake_case keys', status: 'closed' });
    const d = await createIssue(asOwner, 'find', { title: 'Unassigned thing' });
    const numbers = async (query: string, as: Call = asMember) => {
      const res = await as('GET', `/api/v1/workspaces/find/issues${query}`);
      expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(200);
      return res.body.issues.map((i: { number: number }) => i.number);
    };
    expect(await numbers('')).toEqual([d.number, c.number, b.number, a.number]);
    expect(await numbers('?status=open')).toEqual([d.number, a.number]);
    expect(await numbers('?status=open,in_progress')).toEqual([d.number, b.number, a.number]);
    expect(await numbers('?status=closed&status=in_progress')).toEqual([c.number, b.number]);
    expect(await numbers('?assignee=me')).toEqual([a.number]);
    expect(await numbers('?assignee=me', asOwner)).toEqual([b.number]);
    expect(await numbers(`?assignee=${owner.id}`)).toEqual([b.number]);
    expect(await numbers('?assignee=none')).toEqual([d.number, c.number]);
    expect(await numbers('?q=export')).toEqual([b.number, a.number]);
    expect(await numbers('?q=%25')).toEqual([b.number]);
    expect(await numbers('?q=_')).toEqual([c.number]);
    expect(await numbers('?q=e_c')).toEqual([c.number]);
    expect(await numbers('?q=%5C')).toEqual([]);
    expect(await numbers('?q=export&status=open&assignee=me')).toEqual([a.number]);

    // Nothing else in this workspace has a title with these numbers in it.
    expect(await numbers('?q=100')).toEqual([b.number]);
    const badStatus = await asMember('GET', '/api/v1/workspaces/find/issues?status=open,done');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.issues[0].path).toBe('status.1');
    const stranger = await asMember('GET', `/api/v1/workspaces/find/issues?assignee=${outsider.id}`);
    expect(stranger.status).toBe(400);
    expect(stranger.body.error.issues).toEqual([{ path: 'assignee', message: 'is not a member of this workspace' }]);
    expect((await asMember('GET', '/api/v1/workspaces/find/issues?assignee=someone')).body.error.issues[0].path).toBe('assignee');
  });

  it('finds an issue by its key or number as well as by title words', async () => {
    const ws = await createWorkspace(asOwner, 'keys', 'KEY');
    const first = await createIssue(asOwner, 'keys', { title: 'Release notes for 3' });
    const second = await createIssue(asOwner, 'keys', { title: 'Crash on save' });
    const third = await createIssue(asOwner, 'keys', { title: 'Mentions KEY-2 in the title' });
    expect(ws.issueKey).toBe('KEY');
    const numbers = async (q: string) => {
      const res = await asOwner('GET', `/api/v1/workspaces/keys/issues?q=${encodeURIComponent(q)}`);
      expect(res.status, `${q}: ${JSON.stringify(res.body)}`).toBe(200);
      return res.body.issues.map((i: { number: number }) => i.number);
    };
    expect(await numbers('KEY-2')).toEqual([third.number, second.number]);
    expect(await numbers('key-2')).toEqual([third.number, second.number]);
    expect(await numbers('#1')).toEqual([first.number]);
    // A bare number is the issue with that number and every title that contains it.
    expect(await numbers('3')).toEqual([third.number, first.number]);
    // Another workspace's key names no issue here; nor does a number no issue has.
    expect(await numbers('OTHER-2')).toEqual([]);
    expect(await numbers('KEY-99')).toEqual([]);
    expect(await numbers('crash')).toEqual([second.number]);
  });
});

