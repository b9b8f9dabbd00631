/**
 * Every workspace route, called by a member of workspace A with workspace B's slug or B's
 * record ids, answers 404 exactly as for something that does not exist. The table is checked
 * against the routes the server registers, so a new route without an isolation case fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createIssue, createUser, createWorkspace, startCustomApi, startServers, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let api: Awaited<ReturnType<typeof startCustomApi>>;
let alice: TestUser;
let bob: TestUser;
let asAlice: Call;
let asBob: Call;
const b = { issueNumber: 0, commentId: '', attachmentId: '', invitationId: '' };

beforeAll(async () => {
  // Presigning needs credentials but never contacts the endpoint.
  process.env.AWS_ACCESS_KEY_ID = 'test-access-key';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-key';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  servers = await startServers({ prefix: 'iso' });
  api = await startCustomApi(servers, {}, { S3_BUCKET: 'iso-bucket', AWS_REGION: 'eu-west-1', S3_ENDPOINT: 'http://127.0.0.1:9' });
  [alice, bob] = await Promise.all(['alice@example.com', 'bob@example.com'].map((e) => createUser(api.url, e)));
  asAlice = client(api.url, alice);
  asBob = client(api.url, bob);
  await createWorkspace(asAlice, 'alpha', 'ENG');
  await createWorkspace(asBob, 'bravo', 'ENG');
  await createIssue(asAlice, 'alpha', { title: 'Alpha issue' });
  const issue = await createIssue(asBob, 'bravo', { title: 'Bravo secret' });
  b.issueNumber = issue.number;
  b.commentId = (await asBob('POST', `/api/v1/workspaces/bravo/issues/${issue.number}/comments`, { body: 'secret' })).body.comment.id;
  const attachment = await asBob('POST', `/api/v1/workspaces/bravo/issues/${issue.number}/attachments`, { filename: 'plan.pdf', contentType: 'application/pdf', sizeBytes: 10 });
  expect(attachment.status).toBe(201);
  b.attachmentId = attachment.body.attachment.id;
  b.invitationId = (await asBob('POST', '/api/v1/workspaces/bravo/invitations', { email: 'carol@example.com' })).body.invitation.id;
});
afterAll(async () => {
  await api?.stop();
  await servers?.stop();
});

interface Case {
  readonly method: string;
  readonly route: string;
  /** The path to call, with B's slug or B's ids. */
  readonly path: () => string;
  readonly body?: () => unknown;
}

const cases: Case[] = [
  { method: 'GET', route: '/api/v1/workspaces/:slug', path: () => '/api/v1/workspaces/bravo' },
  { method: 'PATCH', route: '/api/v1/workspaces/:slug', path: () => '/api/v1/workspaces/bravo', body: () => ({ name: 'Taken over' }) },
  { method: 'GET', route: '/api/v1/workspaces/:slug/members', path: () => '/api/v1/workspaces/bravo/members' },
  { method: 'PATCH', route: '/api/v1/workspaces/:slug/members/:userId', path: () => `/api/v1/workspaces/bravo/members/${bob.id}`, body: () => ({ role: 'member' }) },
  { method: 'PATCH', route: '/api/v1/workspaces/:slug/members/:userId', path: () => `/api/v1/workspaces/alpha/members/${bob.id}`, body: () => ({ role: 'member' }) },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/members/:userId', path: () => `/api/v1/workspaces/bravo/members/${bob.id}` },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/members/:userId', path: () => `/api/v1/workspaces/alpha/members/${bob.id}` },
  { method: 'GET', route: '/api/v1/workspaces/:slug/invitations', path: () => '/api/v1/workspaces/bravo/invitations' },
  { method: 'POST', route: '/api/v1/workspaces/:slug/invitations', path: () => '/api/v1/workspaces/bravo/invitations', body: () => ({ email: 'mallory@example.com' }) },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/invitations/:id', path: () => `/api/v1/workspaces/bravo/invitations/${b.invitationId}` },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/invitations/:id', path: () => `/api/v1/workspaces/alpha/invitations/${b.invitationId}` },
  { method: 'GET', route: '/api/v1/workspaces/:slug/issues', path: () => '/api/v1/workspaces/bravo/issues' },
  { method: 'POST', route: '/api/v1/workspaces/:slug/issues', path: () => '/api/v1/workspaces/bravo/issues', body: () => ({ title: 'Injected' }) },
  { method: 'GET', route: '/api/v1/workspaces/:slug/issues/:ref', path: () => `/api/v1/workspaces/bravo/issues/ENG-${b.issueNumber}` },
  { method: 'PATCH', route: '/api/v1/workspaces/:slug/issues/:ref', path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}`, body: () => ({ title: 'Defaced' }) },
  { method: 'POST', route: '/api/v1/workspaces/:slug/issues/:ref/close', path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}/close` },
  { method: 'POST', route: '/api/v1/workspaces/:slug/issues/:ref/reopen', path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}/reopen` },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/issues/:ref', path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}` },
  { method: 'GET', route: '/api/v1/workspaces/:slug/issues/:ref/comments', path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}/comments` },
  { method: 'POST', route: '/api/v1/workspaces/:slug/issues/:ref/comments', path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}/comments`, body: () => ({ body: 'hi' }) },
  { method: 'PATCH', route: '/api/v1/workspaces/:slug/comments/:id', path: () => `/api/v1/workspaces/bravo/comments/${b.commentId}`, body: () => ({ body: 'edited' }) },
  { method: 'PATCH', route: '/api/v1/workspaces/:slug/comments/:id', path: () => `/api/v1/workspaces/alpha/comments/${b.commentId}`, body: () => ({ body: 'edited' }) },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/comments/:id', path: () => `/api/v1/workspaces/bravo/comments/${b.commentId}` },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/comments/:id', path: () => `/api/v1/workspaces/alpha/comments/${b.commentId}` },
  { method: 'GET', route: '/api/v1/workspaces/:slug/issues/:ref/attachments', path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}/attachments` },
  {
    method: 'POST',
    route: '/api/v1/workspaces/:slug/issues/:ref/attachments',
    path: () => `/api/v1/workspaces/bravo/issues/${b.issueNumber}/attachments`,
    body: () => ({ filename: 'x.txt', contentType: 'text/plain', sizeBytes: 1 }),
  },
  { method: 'GET', route: '/api/v1/workspaces/:slug/attachments/:id/download', path: () => `/api/v1/workspaces/bravo/attachments/${b.attachmentId}/download` },
  { method: 'GET', route: '/api/v1/workspaces/:slug/attachments/:id/download', path: () => `/api/v1/workspaces/alpha/attachments/${b.attachmentId}/download` },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/attachments/:id', path: () => `/api/v1/workspaces/bravo/attachments/${b.attachmentId}` },
  { method: 'DELETE', route: '/api/v1/workspaces/:slug/attachments/:id', path: () => `/api/v1/workspaces/alpha/attachments/${b.attachmentId}` },
  { method: 'GET', route: '/api/v1/workspaces/:slug/events', path: () => '/api/v1/workspaces/bravo/events' },
];

describe('cross-workspace isolation', () => {
  it('has a case for every workspace-scoped route the server registers', () => {
    const scoped = api.routes.filter((r) => r.url.startsWith('/api/v1/workspaces/:slug')).map((r) => `${r.method} ${r.url}`);
    expect(scoped.length).toBeGreaterThanOrEqual(20);
    const covered = new Set(cases.map((c) => `${c.method} ${c.route}`));
    expect(scoped.filter((r) => !covered.has(r))).toEqual([]);
  });

  it.each(cases.map((c, i) => [`${c.method} ${c.route} (case ${i + 1})`, c] as const))(
    '%s as a member of another workspace: 404',
    async (_name, c) => {
      const res = await asAlice(c.method, c.path(), c.body?.());
      expect(res.status, JSON.stringify(res.body)).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    },
  );

  it("leaves B's data untouched and unseen", async () => {
    const issue = await asBob('GET', `/api/v1/workspaces/bravo/issues/${b.issueNumber}`);
    expect(issue.body.issue).toMatchObject({ title: 'Bravo secret', status: 'open' });
    const comments = await asBob('GET', `/api/v1/workspaces/bravo/issues/${b.issueNumber}/comments`);
    expect(comments.body.comments.map((c: { body: string }) => c.body)).toEqual(['secret']);
    const issues = await asBob('GET', '/api/v1/workspaces/bravo/issues');
    expect(issues.body.issues).toHaveLength(1);
    const members = await asBob('GET', '/api/v1/workspaces/bravo/members');
    expect(members.body.members).toEqual([expect.objectContaining({ userId: bob.id, role: 'owner' })]);
    expect((await asBob('GET', '/api/v1/workspaces/bravo')).body.workspace.name).toBe('Workspace bravo');
    const invitations = await asBob('GET', '/api/v1/workspaces/bravo/invitations');
    expect(invitations.body.invitations.map((i: { email: string }) => i.email)).toEqual(['carol@example.com']);
    expect((await asBob('GET', `/api/v1/workspaces/bravo/issues/${b.issueNumber}/attachments`)).body.attachments).toHaveLength(1);
    // Alice's own list shows only her workspace.
    expect((await asAlice('GET', '/api/v1/workspaces')).body.workspaces.map((w: { slug: string }) => w.slug)).toEqual(['alpha']);
  });
});
