/**
 * Workspaces, members and invitations against the real API and PostgreSQL: creation and slug
 * conflicts, DISABLE_WORKSPACE_CREATION, role rules (admins manage, only owners make owners,
 * never zero owners), invitations joined on first use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, client, createUser, createWorkspace, startServers, startTestApi, type Api, type Call, type Servers, type TestUser } from './workspaces-harness.ts';

let servers: Servers;
let api: Api;
let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;
let asOwner: Call;
let asAdmin: Call;
let asMember: Call;
let asOutsider: Call;

beforeAll(async () => {
  servers = await startServers({ prefix: 'ws' });
  api = await startTestApi(servers);
  [owner, admin, member, outsider] = await Promise.all(
    ['owner@example.com', 'admin@example.com', 'member@example.com', 'outsider@example.com'].map((e) => createUser(api.url, e)),
  );
  [asOwner, asAdmin, asMember, asOutsider] = [owner, admin, member, outsider].map((u) => client(api.url, u));
  await createWorkspace(asOwner, 'acme', 'ACME', 'Acme');
  await addMember(api.url, asOwner, 'acme', admin, 'admin');
  await addMember(api.url, asOwner, 'acme', member, 'member');
});
afterAll(async () => {
  await api?.stop();
  await servers?.stop();
});

describe('workspaces', () => {
  it('creates a workspace with its creator as owner, and lists and reads it', async () => {
    const created = await asOutsider('POST', '/api/v1/workspaces', { name: '  Side Project ', slug: 'Side-Project', issueKey: 'side' });
    expect(created.status).toBe(201);
    expect(created.body.workspace).toMatchObject({ slug: 'side-project', name: 'Side Project', issueKey: 'SIDE', role: 'owner' });
    expect(created.body.workspace.id).toMatch(/^[0-9a-f-]{36}$/);

    const list = await asOutsider('GET', '/api/v1/workspaces');
    expect(list.status).toBe(200);
    expect(list.body.workspaces.map((w: { slug: string }) => w.slug)).toEqual(['side-project']);
    const read = await asOutsider('GET', '/api/v1/workspaces/side-project');
    expect(read.body.workspace).toEqual(created.body.workspace);
    const members = await asOutsider('GET', '/api/v1/workspaces/side-project/members');
    expect(members.body.members).toEqual([expect.objectContaining({ userId: outsider.id, email: outsider.email, role: 'owner' })]);
  });

  it('refuses a taken slug with 409 and a bad one with 400 naming the field', async () => {
    const taken = await asMember('POST', '/api/v1/workspaces', { name: 'Another Acme', slug: 'acme', issueKey: 'AC' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('acme') });

    const bad = await asMember('POST', '/api/v1/workspaces', { name: '', slug: '-x', issueKey: '1AB' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['issueKey', 'name', 'slug']);
  });

  it('answers 401 without credentials and 404 for a workspace the user is not in', async () => {
    const anonymous = await client(api.url)('GET', '/api/v1/workspaces');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
    const hidden = await asOutsider('GET', '/api/v1/workspaces/acme');
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('not_found');
    const unknown = await asOutsider('GET', '/api/v1/workspaces/no-such-place');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(hidden.body.error.message.replace('acme', 'no-such-place'));
  });

  it('lets admins rename the workspace but not plain members', async () => {
    expect((await asMember('PATCH', '/api/v1/workspaces/acme', { name: 'Nope' })).status).toBe(403);
    const renamed = await asAdmin('PATCH', '/api/v1/workspaces/acme', { name: 'Acme Corp' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.workspace).toMatchObject({ slug: 'acme', name: 'Acme Corp', role: 'admin' });
    expect((await asOwner('GET', '/api/v1/workspaces/acme')).body.workspace.name).toBe('Acme Corp');
    const empty = await asAdmin('PATCH', '/api/v1/workspaces/acme', {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.issues[0].path).toBe('name');
  });

  it('answers 403 workspace_creation_disabled to everyone when creation is disabled', async () => {
    const locked = await startTestApi(servers, { DISABLE_WORKSPACE_CREATION: 'true' });
    try {
      const res = await client(locked.url, owner)('POST', '/api/v1/workspaces', { name: 'X', slug: 'xyz', issueKey: 'XYZ' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('workspace_creation_disabled');
      expect(res.body.error.message).toContain('DISABLE_WORKSPACE_CREATION');
      // Everything else still works.
      expect((await client(locked.url, owner)('GET', '/api/v1/workspaces/acme')).status).toBe(200);
    } finally {
      await locked.stop();
    }
  });
});

describe('members and roles', () => {
  it('lists members with their roles', async () => {
    const res = await asMember('GET', '/api/v1/workspaces/acme/members');
    expect(res.status).toBe(200);
    const roles = Object.fromEntries(res.body.members.map((m: { email: string; role: string }) => [m.email, m.role]));
    expect(roles).toEqual({ 'owner@example.com': 'owner', 'admin@example.com': 'admin', 'member@example.com': 'member' });
  });

  it('keeps role changes to admins, owner changes to owners, and always one owner', async () => {
    const path = (u: TestUser) => `/api/v1/workspaces/acme/members/${u.id}`;
    expect((await asMember('PATCH', path(admin), { role: 'member' })).status).toBe(403);
    // An admin may not create or demote owners.
    expect((await asAdmin('PATCH', path(member), { role: 'owner' })).status).toBe(403);
    expect((await asAdmin('PATCH', path(owner), { role: 'member' })).status).toBe(403);
    // The only owner cannot step down.
    const lastOwner = await asOwner('PATCH', path(owner), { role: 'admin' });
    expect(lastOwner.status).toBe(409);
    expect(lastOwner.body.error.message).toContain('at least one owner');
    // Bad role or id: 400 with the field; not a member: 404.
    const badRole = await asOwner('PATCH', path(member), { role: 'king' });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.issues[0].path).toBe('role');
    expect((await asOwner('PATCH', '/api/v1/workspaces/acme/members/not-a-uuid', { role: 'admin' })).body.error.issues[0].path).toBe('userId');
    expect((await asOwner('PATCH', path(outsider), { role: 'admin' })).status).toBe(404);

    // Admin promotes a member to admin and back.
    const promoted = await asAdmin('PATCH', path(member), { role: 'admin' });
    expect(promoted.status).toBe(200);
    expect(promoted.body.member).toMatchObject({ userId: member.id, role: 'admin' });
    expect((await asAdmin('PATCH', path(member), { role: 'member' })).body.member.role).toBe('member');

    // With a second owner, the first may step down, then is no longer allowed to manage owners.
    expect((await asOwner('PATCH', path(admin), { role: 'owner' })).body.member.role).toBe('owner');
    expect((await asOwner('PATCH', path(owner), { role: 'admin' })).body.member.role).toBe('admin');
    expect((await asAdmin('PATCH', path(owner), { role: 'owner' })).body.member.role).toBe('owner');
    expect((await asOwner('PATCH', path(admin), { role: 'admin' })).body.member.role).toBe('admin');
  });

  it('two concurrent demotions of the last two owners leave one owner', async () => {
    await createWorkspace(asOwner, 'twins', 'TW');
    await addMember(api.url, asOwner, 'twins', admin, 'admin');
    expect((await asOwner('PATCH', `/api/v1/workspaces/twins/members/${admin.id}`, { role: 'owner' })).status).toBe(200);
    const results = await Promise.all([
      asOwner('PATCH', `/api/v1/workspaces/twins/members/${owner.id}`, { role: 'member' }),
      asAdmin('PATCH', `/api/v1/workspaces/twins/members/${admin.id}`, { role: 'member' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const members = (await asOwner('GET', '/api/v1/workspaces/twins/members')).body.members;
    expect(members.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
  });

  it('removes members: admins remove others, anyone may leave, the last owner may not', async () => {
    const leaver = await createUser(api.url, 'leaver@example.com');
    await addMember(api.url, asOwner, 'acme', leaver);
    const asLeaver = client(api.url, leaver);
    expect((await asMember('DELETE', `/api/v1/workspaces/acme/members/${leaver.id}`)).status).toBe(403);
    expect((await asLeaver('DELETE', `/api/v1/workspaces/acme/members/${leaver.id}`)).status).toBe(204);
    expect((await asLeaver('GET', '/api/v1/workspaces/acme')).status).toBe(404);
    // Gone: removing again is a 404 for an admin.
    expect((await asAdmin('DELETE', `/api/v1/workspaces/acme/members/${leaver.id}`)).status).toBe(404);
    // Admins cannot remove owners; the last owner cannot leave.
    expect((await asAdmin('DELETE', `/api/v1/workspaces/acme/members/${owner.id}`)).status).toBe(403);
    expect((await asOwner('DELETE', `/api/v1/workspaces/acme/members/${owner.id}`)).status).toBe(409);

    const kicked = await createUser(api.url, 'kicked@example.com');
    await addMember(api.url, asOwner, 'acme', kicked);
    expect((await asAdmin('DELETE', `/api/v1/workspaces/acme/members/${kicked.id}`)).status).toBe(204);
    expect((await client(api.url, kicked)('GET', '/api/v1/workspaces/acme')).status).toBe(404);
  });
});

describe('invitations', () => {
  it('admins invite by email; the invitee joins with that role on first use', async () => {
    expect((await asMember('POST', '/api/v1/workspaces/acme/invitations', { email: 'new@example.com', role: 'member' })).status).toBe(403);
    const invited = await asAdmin('POST', '/api/v1/workspaces/acme/invitations', { email: ' New.Person@Example.com ', role: 'admin' });
    expect(invited.status).toBe(201);
    expect(invited.body.invitation).toMatchObject({ email: 'new.person@example.com', role: 'admin', invitedBy: admin.id });

    const listed = await asMember('GET', '/api/v1/workspaces/acme/invitations');
    expect(listed.body.invitations.map((i: { email: string }) => i.email)).toContain('new.person@example.com');
    const again = await asAdmin('POST', '/api/v1/workspaces/acme/invitations', { email: 'new.person@example.com', role: 'member' });
    expect(again.status).toBe(409);
    expect((await asAdmin('POST', '/api/v1/workspaces/acme/invitations', { email: member.email })).status).toBe(409);
    const owners = await asAdmin('POST', '/api/v1/workspaces/acme/invitations', { email: 'x@example.com', role: 'owner' });
    expect(owners.status).toBe(400);
    expect(owners.body.error.issues[0].path).toBe('role');
    expect((await asAdmin('POST', '/api/v1/workspaces/acme/invitations', { email: 'not-an-email' })).body.error.issues[0].path).toBe('email');

    const newcomer = await createUser(api.url, 'new.person@example.com');
    const mine = await client(api.url, newcomer)('GET', '/api/v1/workspaces');
    expect(mine.body.workspaces).toEqual([expect.objectContaining({ slug: 'acme', role: 'admin' })]);
    const after = await asMember('GET', '/api/v1/workspaces/acme/invitations');
    expect(after.body.invitations.map((i: { email: string }) => i.email)).not.toContain('new.person@example.com');
  });

  it('someone already signed in when invited sees the workspace in GET /me at once', async () => {
    const early = await createUser(api.url, 'early.bird@example.com');
    const asEarly = client(api.url, early);
    expect((await asEarly('GET', '/api/v1/me')).body.workspaces).toEqual([]);
    expect((await asAdmin('POST', '/api/v1/workspaces/acme/invitations', { email: early.email, role: 'member' })).status).toBe(201);
    const me = await asEarly('GET', '/api/v1/me');
    expect(me.body.workspaces).toEqual([expect.objectContaining({ slug: 'acme', role: 'member' })]);
  });

  it('admins cancel invitations; a cancelled invitation no longer admits anyone', async () => {
    const invited = await asOwner('POST', '/api/v1/workspaces/acme/invitations', { email: 'maybe@example.com' });
    expect(invited.body.invitation.role).toBe('member');
    const path = `/api/v1/workspaces/acme/invitations/${invited.body.invitation.id}`;
    expect((await asMember('DELETE', path)).status).toBe(403);
    expect((await asAdmin('DELETE', path)).status).toBe(204);
    expect((await asAdmin('DELETE', path)).status).toBe(404);
    const maybe = await createUser(api.url, 'maybe@example.com');
    expect((await client(api.url, maybe)('GET', '/api/v1/workspaces/acme')).status).toBe(404);
  });
});
