/** Comments against the real API: list oldest first, create, edit (author only), delete (author or admin). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, client, createIssue, createUser, createWorkspace, startServers, startTestApi, type Api, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let api: Api;
let owner: TestUser;
let member: TestUser;
let other: TestUser;
let asOwner: Call;
let asMember: Call;
let asOther: Call;

beforeAll(async () => {
  servers = await startServers({ prefix: 'comments' });
  api = await startTestApi(servers);
  [owner, member, other] = await Promise.all(['owner@example.com', 'member@example.com', 'other@example.com'].map((e) => createUser(api.url, e)));
  [asOwner, asMember, asOther] = [owner, member, other].map((u) => client(api.url, u));
  await createWorkspace(asOwner, 'eng', 'ENG');
  await addMember(api.url, asOwner, 'eng', member);
  await addMember(api.url, asOwner, 'eng', other);
});
afterAll(async () => {
  await api?.stop();
  await servers?.stop();
});

describe('comments', () => {
  it('adds comments and lists them oldest first', async () => {
    const issue = await createIssue(asOwner, 'eng', { title: 'Discuss me' });
    const path = `/api/v1/workspaces/eng/issues/${issue.key}/comments`;
    expect((await asMember('GET', path)).body).toEqual({ comments: [] });
    const first = await asMember('POST', path, { body: 'First!' });
    expect(first.status).toBe(201);
    expect(first.body.comment).toMatchObject({ issueId: issue.id, issueNumber: issue.number, authorId: member.id, body: 'First!' });
    await asOwner('POST', path, { body: 'Second' });
    await asOther('POST', `/api/v1/workspaces/eng/issues/${issue.number}/comments`, { body: 'Third' });
    const list = await asOther('GET', path);
    expect(list.body.comments.map((c: { body: string }) => c.body)).toEqual(['First!', 'Second', 'Third']);

    const code = await asMember('POST', path, { body: '    indented code\n' });
    expect(code.body.comment.body).toBe('    indented code\n');
    await asMember('DELETE', `/api/v1/workspaces/eng/comments/${code.body.comment.id}`);
    const empty = await asMember('POST', path, { body: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.issues).toEqual([{ path: 'body', message: 'must not be empty' }]);
    expect((await asMember('POST', '/api/v1/workspaces/eng/issues/999/comments', { body: 'x' })).status).toBe(404);
  });

  it('lets only the author edit, and the author or an admin delete', async () => {
    const issue = await createIssue(asOwner, 'eng', { title: 'Edit rules' });
    const created = await asMember('POST', `/api/v1/workspaces/eng/issues/${issue.number}/comments`, { body: 'Draft' });
    const path = `/api/v1/workspaces/eng/comments/${created.body.comment.id}`;

    expect((await asOther('PATCH', path, { body: 'Hijacked' })).status).toBe(403);
    expect((await asOwner('PATCH', path, { body: 'Admins cannot put words in mouths' })).status).toBe(403);
    const edited = await asMember('PATCH', path, { body: 'Final' });
    expect(edited.status).toBe(200);
    expect(edited.body.comment).toMatchObject({ id: created.body.comment.id, body: 'Final', createdAt: created.body.comment.createdAt });
    expect(Date.parse(edited.body.comment.updatedAt)).toBeGreaterThanOrEqual(Date.parse(edited.body.comment.createdAt));

    expect((await asOther('DELETE', path)).status).toBe(403);
    expect((await asMember('DELETE', path)).status).toBe(204);
    expect((await asMember('DELETE', path)).status).toBe(404);

    const second = await asOther('POST', `/api/v1/workspaces/eng/issues/${issue.number}/comments`, { body: 'Spam' });
    expect((await asOwner('DELETE', `/api/v1/workspaces/eng/comments/${second.body.comment.id}`)).status).toBe(204);
    expect((await asOwner('GET', `/api/v1/workspaces/eng/issues/${issue.number}/comments`)).body.comments).toEqual([]);

    const bad = await asMember('PATCH', '/api/v1/workspaces/eng/comments/123', { body: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('id');
  });

  it('deleting an issue deletes its comments', async () => {
    const issue = await createIssue(asMember, 'eng', { title: 'Short-lived' });
    const c = await asMember('POST', `/api/v1/workspaces/eng/issues/${issue.number}/comments`, { body: 'bye' });
    expect((await asMember('DELETE', `/api/v1/workspaces/eng/issues/${issue.number}`)).status).toBe(204);
    expect((await asMember('PATCH', `/api/v1/workspaces/eng/comments/${c.body.comment.id}`, { body: 'x' })).status).toBe(404);
  });
});
