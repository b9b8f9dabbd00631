/**
 * Live updates over server-sent events: `ready` at once, issue and comment changes to every
 * connected member within a second, Last-Event-ID replay, heartbeats, prompt close on
 * shutdown, and fan-out across two API processes sharing one Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../../test/support/app.ts';
import {
  addMember,
  client,
  createIssue,
  createUser,
  createWorkspace,
  openStream,
  startCustomApi,
  startServers,
  startTestApi,
  type Api,
  type Call,
  type Servers,
  type SseMessage,
  type TestUser,
} from './workspaces-harness.ts';

let servers: Servers;
let api: Api;
let owner: TestUser;
let member: TestUser;
let outsider: TestUser;
let asOwner: Call;
let asMember: Call;

const eventsUrl = (base: string, slug: string) => `${base}/api/v1/workspaces/${slug}/events`;
const auth = (u: TestUser) => ({ authorization: `Bearer ${u.token}` });
const data = (m: SseMessage) => JSON.parse(m.data);

beforeAll(async () => {
  servers = await startServers({ prefix: 'events', redis: true });
  // The in-process API runs without Redis: fan-out within one process.
  api = await startTestApi(servers, { REDIS_URL: undefined });
  [owner, member, outsider] = await Promise.all(['owner@example.com', 'member@example.com', 'outsider@example.com'].map((e) => createUser(api.url, e)));
  asOwner = client(api.url, owner);
  asMember = client(api.url, member);
  await createWorkspace(asOwner, 'live', 'LIVE');
  await addMember(api.url, asOwner, 'live', member);
  await createWorkspace(client(api.url, outsider), 'other', 'OTH');
});
afterAll(async () => {
  await api?.stop();
  await servers?.stop();
});

describe('event stream', () => {
  it('sends ready at once with streaming headers, then every change to every member within a second', async () => {
    const started = Date.now();
    const a = await openStream(eventsUrl(api.url, 'live'), auth(owner));
    const b = await openStream(eventsUrl(api.url, 'live'), auth(member));
    try {
      expect(a.status).toBe(200);
      expect(a.headers.get('content-type')).toBe('text/event-stream');
      expect(a.headers.get('cache-control')).toBe('no-cache');
      expect(a.headers.get('x-accel-buffering')).toBe('no');
      expect(a.headers.get('x-request-id')).toBeTruthy();
      const ready = await a.next((m) => m.event === 'ready', 1000);
      expect(data(ready)).toMatchObject({ workspace: 'live' });
      expect(Date.now() - started).toBeLessThan(1000);

      let t = Date.now();
      const issue = await createIssue(asOwner, 'live', { title: 'Live one' });
      const [createdA, createdB] = await Promise.all([
        a.next((m) => m.event === 'issue.created', 1000),
        b.next((m) => m.event === 'issue.created', 1000),
      ]);
      expect(Date.now() - t).toBeLessThan(1000);
      expect(createdA.id).toMatch(/^\d+$/);
      expect(createdB.id).toBe(createdA.id);
      expect(data(createdA).issue).toMatchObject({ id: issue.id, number: issue.number, key: issue.key, title: 'Live one' });

      t = Date.now();
      await asMember('PATCH', `/api/v1/workspaces/live/issues/${issue.number}`, { title: 'Live two', priority: 'high' });
      const updated = await b.next((m) => m.event === 'issue.updated', 1000);
      expect(data(updated)).toMatchObject({ issue: { title: 'Live two', priority: 'high' }, changes: ['title', 'priority'] });
      const comment = (await asMember('POST', `/api/v1/workspaces/live/issues/${issue.number}/comments`, { body: 'hello' })).body.comment;
      const commented = await a.next((m) => m.event === 'comment.created', 1000);
      expect(data(commented)).toMatchObject({ comment: { id: comment.id, body: 'hello' }, issueId: issue.id, issueNumber: issue.number });
      await asMember('PATCH', `/api/v1/workspaces/live/comments/${comment.id}`, { body: 'hello again' });
      expect(data(await a.next((m) => m.event === 'comment.updated', 1000)).comment.body).toBe('hello again');
      await asMember('DELETE', `/api/v1/workspaces/live/comments/${comment.id}`);
      expect(data(await a.next((m) => m.event === 'comment.deleted', 1000))).toEqual({ commentId: comment.id, issueId: issue.id, issueNumber: issue.number });
      await asMember('POST', `/api/v1/workspaces/live/issues/${issue.number}/close`);
      expect(data(await b.next((m) => m.event === 'issue.updated' && data(m).issue.status === 'closed', 1000)).changes).toEqual(['status']);
      await asOwner('DELETE', `/api/v1/workspaces/live/issues/${issue.number}`);
      expect(data(await b.next((m) => m.event === 'issue.deleted', 1000))).toEqual({ issueId: issue.id, issueNumber: issue.number, key: issue.key });
      expect(Date.now() - t).toBeLessThan(3000);

      // Ids increase; both clients saw the same sequence; nothing from other workspaces.
      const ids = (s: typeof a) => s.messages.filter((m) => m.event !== 'ready').map((m) => Number(m.id));
      expect(ids(a)).toEqual([...ids(a)].sort((x, y) => x - y));
      expect(ids(a)).toEqual(ids(b));
      await createIssue(client(api.url, outsider), 'other', { title: 'Not for you' });
      await createIssue(asOwner, 'live', { title: 'Marker' });
      await a.next((m) => m.event === 'issue.created' && data(m).issue.title === 'Marker', 1000);
      expect(a.messages.some((m) => m.data.includes('Not for you'))).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('replays what was missed after Last-Event-ID, then continues live', async () => {
    const first = await openStream(eventsUrl(api.url, 'live'), auth(member));
    await first.next((m) => m.event === 'ready');
    await createIssue(asOwner, 'live', { title: 'Seen' });
    const seen = await first.next((m) => m.event === 'issue.created' && data(m).issue.title === 'Seen');
    first.close();

    const missed = [await createIssue(asOwner, 'live', { title: 'Missed 1' }), await createIssue(asOwner, 'live', { title: 'Missed 2' })];
    await asOwner('PATCH', `/api/v1/workspaces/live/issues/${missed[0]!.number}`, { status: 'in_progress' });

    const resumed = await openStream(eventsUrl(api.url, 'live'), { ...auth(member), 'last-event-id': seen.id! });
    try {
      await resumed.next((m) => m.event === 'issue.updated');
      const replayed = resumed.messages.filter((m) => m.event !== 'ready');
      expect(replayed.map((m) => m.event)).toEqual(['issue.created', 'issue.created', 'issue.updated']);
      expect(replayed.map((m) => data(m).issue.title)).toEqual(['Missed 1', 'Missed 2', 'Missed 1']);
      expect(replayed.every((m) => Number(m.id) > Number(seen.id))).toBe(true);
      await createIssue(asOwner, 'live', { title: 'After resume' });
      await resumed.next((m) => data(m).issue?.title === 'After resume', 1000);
    } finally {
      resumed.close();
    }

    // A fresh stream's ready carries the newest id, so even a client that saw nothing resumes.
    const fresh = await openStream(eventsUrl(api.url, 'live'), auth(member));
    const ready = await fresh.next((m) => m.event === 'ready');
    fresh.close();
    expect(Number(ready.id)).toBeGreaterThan(Number(seen.id));
    await createIssue(asOwner, 'live', { title: 'Between' });
    const again = await openStream(eventsUrl(api.url, 'live'), { ...auth(member), 'last-event-id': ready.id! });
    try {
      await again.next((m) => data(m).issue?.title === 'Between');
      expect(again.messages.filter((m) => m.event !== 'ready')).toHaveLength(1);
    } finally {
      again.close();
    }

    // An id this database never issued, or garbage, starts afresh instead of failing.
    for (const bogus of ['999999999999', 'abc', '-1']) {
      const s = await openStream(eventsUrl(api.url, 'live'), { ...auth(member), 'last-event-id': bogus });
      expect(s.status).toBe(200);
      await s.next((m) => m.event === 'ready');
      s.close();
    }
  });

  it('answers 401 without credentials and 404 to non-members, as JSON', async () => {
    const anonymous = await fetch(eventsUrl(api.url, 'live'));
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthenticated');
    const stranger = await fetch(eventsUrl(api.url, 'live'), { headers: auth(outsider) });
    expect(stranger.status).toBe(404);
    expect((await stranger.json()).error.code).toBe('not_found');
  });

  it('keeps the stream out of request metrics', async () => {
    const s = await openStream(eventsUrl(api.url, 'live'), auth(member));
    await s.next((m) => m.event === 'ready');
    s.close();
    await new Promise((r) => setTimeout(r, 50));
    const metrics = await (await fetch(`${api.url}/api/metrics`)).text();
    expect(metrics).toContain('route="/api/v1/workspaces/:slug/issues"');
    expect(metrics).not.toContain('/events');
  });
});

describe('heartbeat and shutdown', () => {
  it('sends heartbeat comments and ends open streams promptly on close', async () => {
    const custom = await startCustomApi(servers, { events: { heartbeatMs: 100 } }, { REDIS_URL: undefined });
    try {
      const s = await openStream(eventsUrl(custom.url, 'live'), auth(member));
      await s.next((m) => m.event === 'ready');
      await new Promise((r) => setTimeout(r, 350));
      expect(s.comments.filter((c) => c === 'heartbeat').length).toBeGreaterThanOrEqual(2);

      const t = Date.now();
      await custom.close();
      await s.ended;
      expect(Date.now() - t).toBeLessThan(1000);
    } finally {
      await custom.close();
    }
  });
});

describe('Redis outage', () => {
  it('a stream catches up from the log when its replica\'s subscriber reconnects', async () => {
    const env = { REDIS_URL: servers.redis!.url };
    const [first, second] = await Promise.all([startCustomApi(servers, {}, env), startCustomApi(servers, {}, env)]);
    const redis = new Redis(servers.redis!.url);
    try {
      const s = await openStream(eventsUrl(first.url, 'live'), auth(member));
      await s.next((m) => m.event === 'ready');
      await createIssue(client(second.url, owner), 'live', { title: 'Before the outage' });
      await s.next((m) => data(m).issue?.title === 'Before the outage', 1000);
      // Drop every subscriber connection: what is published now reaches no replica directly.
      await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await createIssue(client(second.url, owner), 'live', { title: 'During the outage' });
      const caught = await s.next((m) => data(m).issue?.title === 'During the outage', 3000);
      expect(caught.event).toBe('issue.created');
      expect(s.messages.filter((m) => m.id === caught.id)).toHaveLength(1);
      s.close();
    } finally {
      redis.disconnect();
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('across API processes', () => {
  let one: RunningApp;
  let two: RunningApp;

  beforeAll(async () => {
    [one, two] = await Promise.all(
      [0, 1].map(() => startApp({ databaseUrl: servers.databaseUrl, redisUrl: servers.redis!.url, migrate: false, web: false})),
    );
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
  });

  it('an event created through process 1 reaches streams on process 2 within a second, and back', async () => {
    const onTwo = await openStream(eventsUrl(two.apiUrl, 'live'), auth(member));
    const alsoOnTwo = await openStream(eventsUrl(two.apiUrl, 'live'), auth(owner));
    const onOne = await openStream(eventsUrl(one.apiUrl, 'live'), auth(owner));
    try {
      await Promise.all([onTwo, alsoOnTwo, onOne].map((s) => s.next((m) => m.event === 'ready', 5000)));
      let t = Date.now();
      const issue = await createIssue(client(one.apiUrl, owner), 'live', { title: 'From process one' });
      const arrived = await onTwo.next((m) => m.event === 'issue.created' && data(m).issue.id === issue.id, 1000);
      expect(Date.now() - t).toBeLessThan(1000);
      await alsoOnTwo.next((m) => m.id === arrived.id, 1000);
      await onOne.next((m) => m.id === arrived.id, 1000);

      t = Date.now();
      await client(two.apiUrl, member)('POST', `/api/v1/workspaces/live/issues/${issue.number}/comments`, { body: 'From process two' });
      const comment = await onOne.next((m) => m.event === 'comment.created', 1000);
      expect(Date.now() - t).toBeLessThan(1000);
      expect(data(comment).comment.body).toBe('From process two');
      // Each replica delivers an event once, not once per replica.
      await new Promise((r) => setTimeout(r, 100));
      expect(onTwo.messages.filter((m) => m.id === arrived.id)).toHaveLength(1);
      expect(onOne.messages.filter((m) => m.id === comment.id)).toHaveLength(1);

      // One subscriber connection per process, however many streams it serves.
      const redis = new Redis(servers.redis!.url);
      try {
        const list = (await redis.client('LIST')) as string;
        expect(list.split('\n').filter((line) => line.includes('name=slipway-subscriber'))).toHaveLength(2);
      } finally {
        redis.disconnect();
      }
    } finally {
      onTwo.close();
      alsoOnTwo.close();
      onOne.close();
    }
  });

  it('SIGTERM with streams open: the streams end and the process exits 0 promptly', async () => {
    const s = await openStream(eventsUrl(two.apiUrl, 'live'), auth(member));
    await s.next((m) => m.event === 'ready', 5000);
    const t = Date.now();
    const exit = two.api.stop('SIGTERM');
    await s.ended;
    expect(await exit).toBe(0);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(two.api.output()).not.toContain('requests still open after the drain period');
  });
});
