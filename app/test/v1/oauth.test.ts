/**
 * OAuth sign-in end to end against a real authorization server (oidc-provider on loopback,
 * standing in for GitHub and Google) and the real API and PostgreSQL: state and PKCE,
 * account linking by verified email, the signup controls, and every way it can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/servers.ts';
import { UNSET_SECRET_KEY } from '../../src/config/oauth-providers.ts';
import { startApiWithLogs, signIn, type LoggedApi } from '../support/auth.ts';
import { startOAuthServer, type TestOAuthServer } from '../support/oauth-server.ts';
import { consentAction, RedirectBrowser, type Visit } from '../support/redirect-browser.ts';
import { APP_URL, startServers, type Servers } from './workspaces-harness.ts';

let servers: Servers;
let provider: TestOAuthServer;
let api: LoggedApi;
const running: LoggedApi[] = [];

const callback = (id: string) => `${APP_URL}/api/v1/auth/oauth/${id}/callback`;

async function startApi(env: Record<string, string | undefined> = {}): Promise<LoggedApi> {
  const started = await startApiWithLogs({ APP_URL, DATABASE_URL: servers.databaseUrl, ...provider.env, ...env });
  running.push(started);
  return started;
}

beforeAll(async () => {
  servers = await startServers({ prefix: 'oauth' });
  provider = await startOAuthServer({
    port: await freePort(),
    redirectUris: [callback('github'), callback('google')],
    accounts: [
      { login: 'octocat', name: 'Mona Octocat', email: 'Mona@Example.com', emailVerified: true, otherEmails: [{ email: 'mona@work.example', verified: true }] },
      { login: 'unverified', email: 'fresh@example.com', emailVerified: false, otherEmails: [{ email: 'verified-other@example.com', verified: true }] },
      { login: 'ada', name: 'Ada at Google', email: 'ada@example.com', emailVerified: true },
      { login: 'google-unverified', email: 'grace@example.com', emailVerified: false },
      { login: 'outsider', email: 'outsider@elsewhere.example', emailVerified: true },
      { login: 'invitee', email: 'invitee@corp.example', emailVerified: true },
    ],
  });
  api = await startApi();
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await provider?.stop();
  await servers?.stop();
});

/** A browser whose requests to the app's public URL reach `target` (as the web proxy forwards /api). */
const browserFor = (target: LoggedApi) => new RedirectBrowser({ [APP_URL]: target.url });
/** The SPA pages are the web server's; the walk stops there. */
const atAppPage = (url: URL) => url.origin === APP_URL && !url.pathname.startsWith('/api/');

/** Start → the provider's consent page. */
async function start(browser: RedirectBrowser, id: 'github' | 'google', next = '/w/eng'): Promise<Visit> {
  const page = await browser.open(`${APP_URL}/api/v1/auth/oauth/${id}/start?next=${encodeURIComponent(next)}`);
  expect(page.status, page.body).toBe(200);
  return page;
}

/** Answers the consent page and follows the redirects up to the app page they end on. */
function decide(browser: RedirectBrowser, page: Visit, login: string, decision: 'allow' | 'deny', stop = atAppPage): Promise<Visit> {
  return browser.open(consentAction(page), { method: 'POST', form: new URLSearchParams({ login, decision }), stop });
}

async function signInWith(target: LoggedApi, id: 'github' | 'google', login: string, next?: string) {
  const browser = browserFor(target);
  const end = await decide(browser, await start(browser, id, next), login, 'allow');
  return { browser, end, session: browser.cookies(new URL(APP_URL).host).get('slipway_session') };
}

async function me(target: LoggedApi, session: string | undefined) {
  const res = await fetch(`${target.url}/api/v1/me`, { headers: { cookie: `slipway_session=${session}` } });
  return { status: res.status, body: (await res.json()) as { user: { id: string; email: string; name: string }; workspaces: Array<{ slug: string; role: string }> } };
}

const oauthError = (visit: Visit) => ({ path: visit.url.pathname, error: visit.url.searchParams.get('oauth_error'), provider: visit.url.searchParams.get('provider') });

describe('GitHub', () => {
  it('signs a new person in with the verified primary address, with state and PKCE, and returns to the page they started from', async () => {
    const browser = browserFor(api);
    const first = await browser.open(`${APP_URL}/api/v1/auth/oauth/github/start?next=${encodeURIComponent('/w/eng?status=open')}`, { stop: () => true });
    expect(first.status).toBe(302);
    const authorize = first.url;
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${provider.issuer}/login/oauth/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: provider.env.GITHUB_CLIENT_ID,
      redirect_uri: callback('github'),
      response_type: 'code',
      scope: 'read:user user:email',
      code_challenge_method: 'S256',
    });
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{40,}$/);
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    // The attempt lives in a sealed cookie on the OAuth paths only, for ten minutes.
    const setCookie = first.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(/^slipway_oauth_github=[\w-]+; Path=\/api\/v1\/auth\/oauth; HttpOnly; SameSite=Lax; Max-Age=600$/);
    expect(setCookie).not.toContain(authorize.searchParams.get('state')!);

    const page = await browser.open(authorize);
    const tokenRequestsBefore = provider.tokenRequests.length;
    const end = await decide(browser, page, 'octocat', 'allow');
    expect(end.url.href).toBe(`${APP_URL}/w/eng?status=open`);
    expect(provider.tokenRequests.slice(tokenRequestsBefore)).toEqual([{ clientId: provider.env.GITHUB_CLIENT_ID, hadVerifier: true, status: 200 }]);

    const cookies = browser.cookies('app.slipway.test');
    expect(cookies.has('slipway_oauth_github')).toBe(false);
    const who = await me(api, cookies.get('slipway_session'));
    expect(who.status).toBe(200);
    // The primary address, lower-cased; the other verified address is not used.
    expect(who.body.user).toMatchObject({ email: 'mona@example.com', name: 'Mona Octocat' });
    expect(api.logText()).not.toContain(authorize.searchParams.get('state')!);
  });

  it('a return path a browser would read as another site (a tab after the slash) returns to the app root instead', async () => {
    const { end, session } = await signInWith(api, 'github', 'octocat', '/\t/evil.example/phish');
    expect(end.url.href).toBe(`${APP_URL}/`);
    expect(session).toBeTruthy();
  });

  it('refuses a primary address GitHub has not verified, even when another address is verified', async () => {
    const { end, session } = await signInWith(api, 'github', 'unverified');
    expect(oauthError(end)).toEqual({ path: '/signin', error: 'email_unverified', provider: 'github' });
    expect(session).toBeUndefined();
    for (const email of ['fresh@example.com', 'verified-other@example.com']) {
      expect((await servers.db.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount).toBe(0);
    }
  });
});

describe('Google', () => {
  it('links to the existing account with the same verified address, keeping its name', async () => {
    const existing = await signIn(api.url, 'ada@example.com');
    await fetch(`${api.url}/api/v1/me`, { method: 'PATCH', headers: { cookie: existing.cookie, origin: APP_URL, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada Lovelace' }) });
    const { end, session } = await signInWith(api, 'google', 'ada', '/workspaces');
    expect(end.url.href).toBe(`${APP_URL}/workspaces`);
    const who = await me(api, session);
    expect(who.body.user).toEqual({ id: existing.user.id, email: 'ada@example.com', name: 'Ada Lovelace' });
  });

  it('refuses an ID token whose email is not verified', async () => {
    const { end, session } = await signInWith(api, 'google', 'google-unverified');
    expect(oauthError(end)).toEqual({ path: '/signin', error: 'email_unverified', provider: 'google' });
    expect(session).toBeUndefined();
  });
});

describe('state', () => {
  it('a tampered state stops the sign-in before the code is redeemed', async () => {
    const browser = browserFor(api);
    const page = await start(browser, 'github');
    const atCallback = await decide(browser, page, 'octocat', 'allow', (url) => url.pathname.endsWith('/callback'));
    const tampered = new URL(atCallback.url);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    const redeemed = provider.tokenRequests.length;
    const end = await browser.open(tampered, { stop: atAppPage });
    expect(oauthError(end)).toEqual({ path: '/signin', error: 'state_mismatch', provider: 'github' });
    expect(provider.tokenRequests.length).toBe(redeemed);
    expect(browser.cookies('app.slipway.test').has('slipway_session')).toBe(false);
    // The attempt is spent: the untouched callback no longer works in this browser either.
    expect(oauthError(await browser.open(atCallback.url, { stop: atAppPage })).error).toBe('state_missing');
  });

  it('a callback in a browser that did not start the sign-in (login CSRF) is refused', async () => {
    const attacker = browserFor(api);
    const atCallback = await decide(attacker, await start(attacker, 'github'), 'octocat', 'allow', (url) => url.pathname.endsWith('/callback'));
    const victim = browserFor(api);
    const end = await victim.open(atCallback.url, { stop: atAppPage });
    expect(oauthError(end)).toEqual({ path: '/signin', error: 'state_missing', provider: 'github' });
    expect(victim.cookies('app.slipway.test').has('slipway_session')).toBe(false);
  });

  it('an altered attempt cookie counts as no attempt', async () => {
    const browser = browserFor(api);
    await start(browser, 'google');
    const jar = browser.cookies('app.slipway.test');
    const sealed = jar.get('slipway_oauth_google')!;
    jar.set('slipway_oauth_google', `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`);
    const end = await browser.open(`${APP_URL}/api/v1/auth/oauth/google/callback?code=x&state=y`, { stop: atAppPage });
    expect(oauthError(end).error).toBe('state_missing');
  });
});

describe('consent', () => {
  it('a denied consent returns to sign-in, calmly, without a session', async () => {
    const browser = browserFor(api);
    const end = await decide(browser, await start(browser, 'github'), 'octocat', 'deny');
    expect(oauthError(end)).toEqual({ path: '/signin', error: 'access_denied', provider: 'github' });
    expect(browser.cookies('app.slipway.test').has('slipway_session')).toBe(false);
    expect(browser.cookies('app.slipway.test').has('slipway_oauth_github')).toBe(false);
  });
});

describe('signup controls', () => {
  it('ALLOW_SIGNUP=false: a new address is refused, an invited one joins its workspace, an existing account signs in', async () => {
    const closed = await startApi({ ALLOW_SIGNUP: 'false' });
    expect(oauthError((await signInWith(closed, 'google', 'outsider')).end)).toEqual({ path: '/signin', error: 'signup_not_allowed', provider: 'google' });
    expect((await servers.db.query(`SELECT 1 FROM users WHERE email = 'outsider@elsewhere.example'`)).rowCount).toBe(0);

    const ws = await servers.db.query(`INSERT INTO workspaces (slug, name, issue_key) VALUES ('corp', 'Corp', 'CORP') RETURNING id`);
    await servers.db.query(`INSERT INTO workspace_invitations (workspace_id, email, role) VALUES ($1, 'invitee@corp.example', 'admin')`, [ws.rows[0].id]);
    const invited = await signInWith(closed, 'github', 'invitee');
    const who = await me(closed, invited.session);
    expect(who.body.workspaces).toEqual([expect.objectContaining({ slug: 'corp', role: 'admin' })]);

    // Mona signed up while sign-up was open; closing it does not lock her out.
    expect((await me(closed, (await signInWith(closed, 'github', 'octocat')).session)).body.user.email).toBe('mona@example.com');
  });

  it('the allowlists bind OAuth sign-ups too', async () => {
    const listed = await startApi({ ALLOWED_EMAIL_DOMAINS: 'corp.example' });
    expect(oauthError((await signInWith(listed, 'google', 'outsider')).end).error).toBe('signup_not_allowed');
  });
});

describe('configuration', () => {
  it('a provider that is not configured is not offered, and starting it says so calmly', async () => {
    const githubOnly = await startApi({ GOOGLE_CLIENT_ID: '', GOOGLE_CLIENT_SECRET: '' });
    const capabilities = await (await fetch(`${githubOnly.url}/api/v1/capabilities`)).json();
    expect(capabilities.signIn.providers).toEqual([{ id: 'github', name: 'GitHub', startUrl: '/api/v1/auth/oauth/github/start' }]);
    const end = await browserFor(githubOnly).open(`${APP_URL}/api/v1/auth/oauth/google/start`, { stop: atAppPage });
    expect(oauthError(end)).toEqual({ path: '/signin', error: 'not_configured', provider: 'google' });
    expect(githubOnly.logText()).toContain('GOOGLE_CLIENT_ID');
  });

  it('a client secret the provider refuses ends in provider_error, and the log says which settings to check', async () => {
    const wrong = await startApi({ GITHUB_CLIENT_SECRET: 'f'.repeat(40) });
    const { end } = await signInWith(wrong, 'github', 'octocat');
    expect(oauthError(end)).toEqual({ path: '/signin', error: 'provider_error', provider: 'github' });
    const line = wrong.logs().find((l) => l.msg === 'GitHub sign-in failed at the provider') as { fix?: string; providerError?: string } | undefined;
    expect(line?.providerError).toMatch(/^invalid_client/);
    expect(line?.fix).toContain('GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET');
    expect(wrong.logText()).not.toContain('f'.repeat(40));
  });

  it("a client secret still holding the kit's placeholder keeps that provider off and says what to do", async () => {
    const pending = await startApi({ GITHUB_CLIENT_SECRET: JSON.stringify({ [UNSET_SECRET_KEY]: 'Replace this whole value', padding: 'x8Hq' }) });
    const capabilities = await (await fetch(`${pending.url}/api/v1/capabilities`)).json();
    expect(capabilities.signIn.providers.map((p: { id: string }) => p.id)).toEqual(['google']);
    const line = pending.logs().find((l) => l.setting === 'GITHUB_CLIENT_SECRET');
    expect(line?.msg).toContain("GitHub sign-in is off: GITHUB_CLIENT_SECRET still holds the deployment kit's placeholder");
  });

  it('logs the callback URL to register with each provider', () => {
    const lines = api.logs().filter((l) => typeof l.redirectUri === 'string').map((l) => l.redirectUri);
    expect(lines).toEqual([callback('github'), callback('google')]);
  });
});
