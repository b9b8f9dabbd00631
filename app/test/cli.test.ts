/**
 * The CLI against a small fake of the HTTP API on loopback (node:http): what it sends,
 * what it prints, and its exit codes. The last block runs it once against the real app.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { normaliseBaseUrl } from '../src/cli/client.ts';
import { parseIssueRef, parseStatuses } from '../src/cli/issues.ts';
import { HELP, runCli } from '../src/cli/run.ts';

const TOKEN = 'pat_good';

interface FakeState {
  ready: { status: number; body: unknown };
  version: unknown;
  workspaces: { slug: string; name: string; issueKey: string }[];
  issues: Record<string, unknown>[];
  requests: { method: string; url: string; auth?: string; body?: unknown }[];
}

const state: FakeState = { ready: { status: 200, body: {} }, version: {}, workspaces: [], issues: [], requests: [] };

function issue(number: number, title: string, status = 'open') {
  return {
    id: `i${number}`,
    number,
    key: `ENG-${number}`,
    title,
    description: number === 1 ? 'Steps: click it.' : null,
    status,
    priority: 'none',
    assigneeId: null,
    authorId: 'u1',
    createdAt: `2026-01-0${number}T10:00:00.000Z`,
    updatedAt: `2026-01-0${number}T10:00:00.000Z`,
    closedAt: null,
  };
}

function send(res: ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
const notFound = (res: ServerResponse) => send(res, 404, { error: { code: 'not_found', message: 'Issue not found', issues: [] } });

async function handle(req: IncomingMessage, res: ServerResponse) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = raw ? JSON.parse(raw) : undefined;
  const url = new URL(req.url!, 'http://fake');
  state.requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
  const path = url.pathname;
  if (path === '/api/health') return send(res, 200, { status: 'ok' });
  if (path === '/api/readyz') return send(res, state.ready.status, state.ready.body);
  if (path === '/api/version') return send(res, 200, state.version);
  if (!path.startsWith('/api/v1/')) return notFound(res);
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return send(res, 401, { error: { code: 'unauthenticated', message: 'Sign in or send a valid token', issues: [] } });
  }
  if (path === '/api/v1/me') return send(res, 200, { user: { id: 'u1', email: 'ada@example.com', name: 'Ada' }, workspaces: state.workspaces });
  const m = /^\/api\/v1\/workspaces\/([^/]+)(\/.*)$/.exec(path);
  if (!m || m[1] !== 'eng') return notFound(res);
  const rest = m[2]!;
  if (rest === '/members') return send(res, 200, { members: [{ userId: 'u1', email: 'ada@example.com', name: 'Ada', role: 'owner' }] });
  if (rest === '/issues' && req.method === 'GET') {
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const statuses = url.searchParams.get('status')?.split(',');
    const all = state.issues.filter((i) => !statuses || statuses.includes(i.status as string));
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const page = all.slice(start, start + limit);
    return send(res, 200, { issues: page, nextCursor: start + limit < all.length ? String(start + limit) : null });
  }
  if (rest === '/issues' && req.method === 'POST') {
    if (!body?.title) return send(res, 400, { error: { code: 'validation_failed', message: 'title: Required', issues: [{ path: 'title', message: 'Required' }] } });
    if (body.title.length > 20) {
      return send(res, 400, { error: { code: 'validation_failed', message: 'title: Too long', issues: [{ path: 'title', message: 'Too long' }] } });
    }
    return send(res, 201, { issue: { ...issue(7, body.title), description: body.description ?? null } });
  }
  const ref = /^\/issues\/([^/]+)(\/comments)?$/.exec(rest);
  const found = ref && state.issues.find((i) => i.key === ref[1] || String(i.number) === ref[1]);
  if (!found) return notFound(res);
  if (ref![2]) return send(res, 200, { comments: [{ id: 'c1', authorId: 'u1', body: 'Seen on staging too.', createdAt: '2026-01-02T00:00:00.000Z' }] });
  return send(res, 200, { issue: found });
}

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, { error: { code: 'internal', message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  state.ready = { status: 200, body: { status: 'ok', checks: { db: { ok: true, latencyMs: 1 }, migrations: { ok: true } } } };
  state.version = { release: '1.4.0', commit: 'abc1234', migration: { latest: '0004', applied: '0004' } };
  state.workspaces = [{ slug: 'eng', name: 'Engineering', issueKey: 'ENG' }];
  state.issues = [issue(3, 'Crash on save', 'in_progress'), issue(2, 'Typo in footer', 'closed'), issue(1, 'Login button does nothing')];
  state.requests = [];
});

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    env: { SLIPWAY_API_URL: baseUrl, SLIPWAY_TOKEN: TOKEN, ...env },
    out: (text) => (out += text),
    err: (text) => (err += text),
  });
  return { code, out, err };
}

describe('doctor', () => {
  it('passes every check against a healthy server with a valid token', async () => {
    const { code, out } = await cli(['doctor']);
    expect(code).toBe(0);
    expect(out).toContain('✓ api-url');
    expect(out).toContain('✓ reachable');
    expect(out).toContain('✓ ready     ready (db, migrations ok)');
    expect(out).toContain('✓ version   release 1.4.0, commit abc1234, migration 0004 of 0004');
    expect(out).toContain('✓ token     token works: signed in as ada@example.com (1 workspace)');
    expect(out).toContain('All checks passed.');
  });

  it('reports JSON with one entry per check', async () => {
    const { code, out } = await cli(['doctor', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({ ok: true, apiUrl: baseUrl });
    expect(report.checks.map((c: { id: string; ok: boolean }) => [c.id, c.ok])).toEqual([
      ['api-url', true],
      ['reachable', true],
      ['ready', true],
      ['version', true],
      ['token', true],
    ]);
  });

  it('fails on a rejected token and says how to get one', async () => {
    const { code, out } = await cli(['doctor', '--json'], { SLIPWAY_TOKEN: 'pat_revoked' });
    expect(code).toBe(1);
    const token = JSON.parse(out).checks.find((c: { id: string }) => c.id === 'token');
    expect(token).toMatchObject({ ok: false, message: 'token rejected: Sign in or send a valid token' });
    expect(token.fix).toContain('Settings → Personal access tokens');
  });

  it('fails on a missing or malformed token without calling the API with it', async () => {
    const missing = await cli(['doctor'], { SLIPWAY_TOKEN: undefined });
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('✗ token     SLIPWAY_TOKEN is not set');
    const malformed = await cli(['doctor'], { SLIPWAY_TOKEN: 'hunter2' });
    expect(malformed.out).toContain('it should start with pat_');
    expect(state.requests.some((r) => r.auth === 'Bearer hunter2')).toBe(false);
  });

  it('names the failing readiness check and its reason', async () => {
    state.ready = { status: 503, body: { status: 'unavailable', checks: { db: { ok: false, reason: 'connection refused' }, migrations: { ok: true } } } };
    const { code, out } = await cli(['doctor']);
    expect(code).toBe(1);
    expect(out).toContain('✗ ready     not ready (HTTP 503): db: connection refused');
    expect(out).toContain('fix: Check the API logs and the database/Redis settings');
    expect(out).toContain('1 check failed.');
  });

  it('flags a database behind the code', async () => {
    state.version = { release: '1.5.0', commit: 'def', migration: { latest: '0005', applied: '0004' } };
    const { code, out } = await cli(['doctor']);
    expect(code).toBe(1);
    expect(out).toContain('migration 0004 of 0005: the database is behind the code');
    expect(out).toContain('fix: Run the migrations');
  });

  it('skips the remaining checks when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code, out } = await cli(['doctor'], { SLIPWAY_API_URL: `http://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(out).toContain(`✗ reachable Cannot reach http://127.0.0.1:${port}: connection refused (is the server running?)`);
    expect(out).toContain('- token     skipped: server unreachable');
  });

  it('explains a missing SLIPWAY_API_URL', async () => {
    const { code, out } = await cli(['doctor'], { SLIPWAY_API_URL: undefined });
    expect(code).toBe(1);
    expect(out).toContain('✗ api-url   SLIPWAY_API_URL is not set');
  });
});

describe('issue ls', () => {
  it('prints a table, sending the token and the status filter', async () => {
    const { code, out } = await cli(['issue', 'ls', '--status', 'open,in_progress']);
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^KEY\s+STATUS\s+PRIORITY\s+TITLE$/);
    expect(out).toContain('ENG-3  in_progress  none      Crash on save');
    expect(out).toContain('ENG-1  open         none      Login button does nothing');
    expect(out).not.toContain('Typo in footer');
    const list = state.requests.find((r) => r.url.startsWith('/api/v1/workspaces/eng/issues'))!;
    expect(list.auth).toBe(`Bearer ${TOKEN}`);
    expect(new URL(list.url, 'http://x').searchParams.get('status')).toBe('open,in_progress');
  });

  it('follows cursors up to --limit and says when more exist (JSON)', async () => {
    const { code, out } = await cli(['issue', 'ls', '--workspace', 'eng', '--limit', '2', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.issues.map((i: { key: string }) => i.key)).toEqual(['ENG-3', 'ENG-2']);
    expect(result.more).toBe(true);
    const all = await cli(['issue', 'ls', '-w', 'eng', '-n', '3', '--json']);
    expect(JSON.parse(all.out).more).toBe(false);
  });

  it('rejects an unknown status, a bad limit and unknown flags with exit code 2', async () => {
    const status = await cli(['issue', 'ls', '--status', 'done']);
    expect(status.code).toBe(2);
    expect(status.err).toContain('--status must be one or more of open, in_progress, closed');
    const limit = await cli(['issue', 'ls', '--limit', 'lots']);
    expect(limit.code).toBe(2);
    expect(limit.err).toContain('--limit must be a whole number from 1 to 1000; got "lots"');
    const flag = await cli(['issue', 'ls', '--colour']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("Unknown option '--colour'");
    expect(flag.err).toContain("Run 'npm run cli -- issue ls --help' for usage.");
    expect(state.requests).toHaveLength(0);
  });

  it('asks for --workspace when the user has several', async () => {
    state.workspaces.push({ slug: 'ops', name: 'Operations', issueKey: 'OPS' });
    const { code, err } = await cli(['issue', 'ls']);
    expect(code).toBe(2);
    expect(err).toContain('Several workspaces are available; choose one with --workspace (or SLIPWAY_WORKSPACE): eng, ops');
  });

  it('prints the API message and exits 1 for an unknown workspace', async () => {
    const { code, err } = await cli(['issue', 'ls', '--workspace', 'nope']);
    expect(code).toBe(1);
    expect(err).toBe('error: Issue not found (HTTP 404 not_found)\n');
  });

  it('requires SLIPWAY_TOKEN', async () => {
    const { code, err } = await cli(['issue', 'ls'], { SLIPWAY_TOKEN: '' });
    expect(code).toBe(2);
    expect(err).toContain('SLIPWAY_TOKEN is not set');
  });

  it('points at doctor when the token is rejected', async () => {
    const { code, err } = await cli(['issue', 'ls', '-w', 'eng'], { SLIPWAY_TOKEN: 'pat_old' });
    expect(code).toBe(1);
    expect(err).toContain('error: Sign in or send a valid token (HTTP 401 unauthenticated)');
    expect(err).toContain("'npm run cli -- doctor' tests it");
  });
});

describe('issue create', () => {
  it('posts the title and description and prints the new key', async () => {
    const { code, out } = await cli(['issue', 'create', '--workspace', 'eng', '--title', 'Flaky test', '--description', 'Fails 1 in 10']);
    expect(code).toBe(0);
    expect(out).toBe('Created ENG-7: Flaky test\n');
    const post = state.requests.find((r) => r.method === 'POST')!;
    expect(post.url).toBe('/api/v1/workspaces/eng/issues');
    expect(post.body).toEqual({ title: 'Flaky test', description: 'Fails 1 in 10' });
  });

  it('prints JSON with --json', async () => {
    const { out } = await cli(['issue', 'create', '-w', 'eng', '-t', 'Flaky test', '--json']);
    expect(JSON.parse(out).issue).toMatchObject({ key: 'ENG-7', title: 'Flaky test', description: null });
  });

  it('requires --title', async () => {
    const { code, err } = await cli(['issue', 'create', '--workspace', 'eng']);
    expect(code).toBe(2);
    expect(err).toContain('--title is required');
    expect(err).toContain("Run 'npm run cli -- issue create --help' for usage.");
  });

  it('shows the API validation message with the field path', async () => {
    const { code, err } = await cli(['issue', 'create', '-w', 'eng', '-t', 'A title that is far too long']);
    expect(code).toBe(1);
    expect(err).toBe('error: title: Too long (HTTP 400 validation_failed)\n  title: Too long\n');
  });
});

describe('issue show', () => {
  it('finds the workspace from the issue key and prints the issue with comments', async () => {
    const { code, out } = await cli(['issue', 'show', 'eng-1']);
    expect(code).toBe(0);
    expect(out).toContain('ENG-1  Login button does nothing');
    expect(out).toContain('status: open   priority: none   assignee: unassigned   author: Ada');
    expect(out).toContain('Steps: click it.');
    expect(out).toContain('- 2026-01-02T00:00:00.000Z Ada: Seen on staging too.');
    expect(state.requests.map((r) => r.url)).toContain('/api/v1/workspaces/eng/issues/ENG-1');
  });

  it('prints the issue and comments as JSON', async () => {
    const { out } = await cli(['issue', 'show', 'ENG-1', '--json']);
    const result = JSON.parse(out);
    expect(result.issue.key).toBe('ENG-1');
    expect(result.comments).toHaveLength(1);
  });

  it('accepts a bare number with --workspace and refuses it without', async () => {
    expect((await cli(['issue', 'show', '2', '--workspace', 'eng'])).out).toContain('ENG-2  Typo in footer');
    const bare = await cli(['issue', 'show', '2']);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('"2" has no issue key: use ENG-2, or add --workspace');
  });

  it('prints the API message for a missing issue', async () => {
    const { code, err } = await cli(['issue', 'show', 'ENG-99']);
    expect(code).toBe(1);
    expect(err).toContain('error: Issue not found (HTTP 404 not_found)');
  });

  it('rejects something that is not an issue reference', async () => {
    const { code, err } = await cli(['issue', 'show', 'ENG-']);
    expect(code).toBe(2);
    expect(err).toContain('"ENG-" is not an issue reference');
  });
});

describe('help and usage', () => {
  it.each([
    [['--help'], HELP.main],
    [['doctor', '--help'], HELP.doctor],
    [['issue', '--help'], HELP.issue],
    [['issue', 'ls', '--help'], HELP.ls],
    [['issue', 'create', '-h'], HELP.create],
    [['issue', 'show', '--help'], HELP.show],
  ])('%j prints its help and exits 0', async (args, text) => {
    const { code, out } = await cli(args);
    expect(code).toBe(0);
    expect(out).toBe(text);
    expect(state.requests).toHaveLength(0);
  });

  it('rejects an unknown command with exit code 2', async () => {
    const { code, err } = await cli(['deploy']);
    expect(code).toBe(2);
    expect(err).toContain('unknown command "deploy" (expected doctor or issue)');
    expect((await cli([])).code).toBe(2);
  });
});

describe('helpers', () => {
  it.each([
    ['http://localhost:7015', 'http://localhost:7015'],
    ['http://localhost:7015/', 'http://localhost:7015'],
    ['https://issues.example.com/api/', 'https://issues.example.com'],
    ['https://example.com/slipway', 'https://example.com/slipway'],
  ])('normalises %s', (input, expected) => {
    expect(normaliseBaseUrl(input)).toBe(expected);
  });

  it.each([
    ['', 'SLIPWAY_API_URL is not set'],
    ['localhost:7015', 'SLIPWAY_API_URL must start with http:// or https://'],
    ['not a url', 'SLIPWAY_API_URL is not a valid URL: "not a url"'],
  ])('rejects the API URL %j', (input, message) => {
    expect(() => normaliseBaseUrl(input)).toThrow(message);
  });

  it('parses issue references and statuses', () => {
    expect(parseIssueRef('ENG-42')).toEqual({ key: 'ENG', number: 42 });
    expect(parseIssueRef('42')).toEqual({ key: undefined, number: 42 });
    expect(parseStatuses('all')).toBeUndefined();
    expect(parseStatuses('open, closed')).toBe('open,closed');
  });
});

describe('against the real app', () => {
  let postgres: TestPostgres | undefined;
  let real: RunningApp | undefined;
  let token = '';

  beforeAll(async () => {
    postgres = await startPostgres();
    real = await startApp({ databaseUrl: await postgres.createDatabase('cli'), web: false, env: { SLIPWAY_RELEASE: 'cli-test' } });
    const api = real.apiUrl;
    const json = { 'content-type': 'application/json' };
    // Sign in as a browser would (the development link comes back in the answer) ...
    const link = await fetch(`${api}/api/v1/auth/magic-link`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'cli@example.com' }) });
    expect(link.status).toBe(202);
    const signInToken = new URL(((await link.json()) as { link: string }).link).searchParams.get('token');
    const verify = await fetch(`${api}/api/v1/auth/verify`, { method: 'POST', headers: json, body: JSON.stringify({ token: signInToken }) });
    expect(verify.status).toBe(200);
    const cookie = verify.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    // ... then create a personal access token, the way the settings screen does.
    const created = await fetch(`${api}/api/v1/tokens`, {
      method: 'POST',
      headers: { ...json, cookie, origin: real.env.APP_URL! },
      body: JSON.stringify({ name: 'cli test' }),
    });
    expect(created.status).toBe(201);
    token = ((await created.json()) as { token: string }).token;
    const workspace = await fetch(`${api}/api/v1/workspaces`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Engineering', slug: 'eng', issueKey: 'ENG' }),
    });
    expect(workspace.status).toBe(201);
  });

  afterAll(async () => {
    await real?.stop();
    await postgres?.destroy();
  });

  const realCli = (args: string[], env: Record<string, string> = {}) => cli(args, { SLIPWAY_API_URL: real!.apiUrl, SLIPWAY_TOKEN: token, ...env });

  it('passes doctor, creates, lists and shows an issue', async () => {
    const doctor = await realCli(['doctor', '--json']);
    expect(doctor.err).toBe('');
    const report = JSON.parse(doctor.out);
    expect(report.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(report.checks.find((c: { id: string }) => c.id === 'version').message).toContain('release cli-test');
    expect(report.checks.find((c: { id: string }) => c.id === 'token').message).toContain('signed in as cli@example.com');
    expect(doctor.code).toBe(0);

    const created = await realCli(['issue', 'create', '--title', 'Made from the command line', '--description', 'via the CLI', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out).issue).toMatchObject({ key: 'ENG-1', title: 'Made from the command line', status: 'open' });

    const list = await realCli(['issue', 'ls', '--workspace', 'eng', '--status', 'open', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).issues.map((i: { key: string }) => i.key)).toEqual(['ENG-1']);

    const shown = await realCli(['issue', 'show', 'ENG-1']);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('ENG-1  Made from the command line');
    expect(shown.out).toContain('via the CLI');
  });

  it('reports the real API errors', async () => {
    const missing = await realCli(['issue', 'show', 'ENG-404']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^error: .+ \(HTTP 404 not_found\)\n$/);
    const invalid = await realCli(['issue', 'create', '-w', 'eng', '--title', 'x'.repeat(5000)]);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/\(HTTP 400 validation_failed\)\n  title: /);
    const doctor = await realCli(['doctor'], { SLIPWAY_TOKEN: 'pat_not-a-real-token' });
    expect(doctor.code).toBe(1);
    expect(doctor.out).toContain('✗ token     token rejected');
  });
});
