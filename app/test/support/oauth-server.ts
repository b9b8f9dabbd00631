/**
 * A real OAuth 2.0 / OpenID Connect authorization server for tests (oidc-provider, the
 * certified OpenID Provider library) on a loopback port, standing in for both providers:
 *
 * - Google: OpenID Connect through discovery; the ID token carries email and email_verified.
 * - GitHub: the same server answers on GitHub's paths (/login/oauth/authorize,
 *   /login/oauth/access_token), and /api/user and /api/user/emails answer like GitHub's REST
 *   API for the access token the server issued (they need a User-Agent, as GitHub does).
 *
 * It checks what a real provider checks: registered redirect URIs, the client secret, PKCE
 * (S256, required), single-use codes. Its consent page is plain HTML: a login field and
 * "Allow" / "Deny" buttons, driven by a browser or by `consent()` below.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface TestAccount {
  /** What to type into the consent page's login field. */
  readonly login: string;
  readonly name?: string;
  /** GitHub: the primary address; Google: the ID token's email. */
  readonly email?: string;
  readonly emailVerified: boolean;
  /** GitHub only: more addresses on the account, never primary. */
  readonly otherEmails?: ReadonlyArray<{ email: string; verified: boolean }>;
}

export interface TestOAuthServer {
  readonly issuer: string;
  /** Settings that point the API at this server for both providers. */
  readonly env: Record<string, string>;
  readonly accounts: Map<string, TestAccount>;
  /** Every token request the server answered, for assertions (client id, whether a verifier came). */
  readonly tokenRequests: Array<{ clientId: string; hadVerifier: boolean; status: number; error?: string }>;
  stop(): Promise<void>;
}

export const CLIENTS = {
  github: { id: 'slipway-github-test', secret: randomBytes(20).toString('hex') },
  google: { id: 'slipway-google-test.apps.example', secret: `TEST-${randomBytes(18).toString('base64url')}` },
};

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function consentPage(uid: string, clientId: string, scope: string, problem?: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test provider: sign in</title></head><body>
<h1>Test provider</h1>
<p>${escape(clientId)} asks to sign you in (${escape(scope)}).</p>
${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
<label>Login <input name="login" autocomplete="off"></label>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>`;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return new URLSearchParams(body);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

export async function startOAuthServer(options: { port: number; redirectUris: string[]; accounts?: TestAccount[] }): Promise<TestOAuthServer> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const accounts = new Map((options.accounts ?? []).map((a) => [a.login, a]));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
  const client = (id: string, secret: string): ClientMetadata => ({
    client_id: id,
    client_secret: secret,
    redirect_uris: options.redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  });

  const provider = new Provider(issuer, {
    clients: [client(CLIENTS.github.id, CLIENTS.github.secret), client(CLIENTS.google.id, CLIENTS.google.secret)],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // GitHub's paths; the OpenID client finds them through discovery either way.
    routes: { authorization: '/login/oauth/authorize', token: '/login/oauth/access_token' },
    scopes: ['openid', 'email', 'profile', 'read:user', 'user:email'],
    claims: { email: ['email', 'email_verified'], profile: ['name'] },
    // Like Google: the claims of the granted scopes are in the ID token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: account.name, email: account.email, email_verified: account.emailVerified };
        },
      };
    },
  });
  provider.on('server_error', (_ctx, error) => process.stderr.write(`test OAuth server error: ${error.stack}\n`));

  const tokenRequests: TestOAuthServer['tokenRequests'] = [];
  type Ctx = { oidc: { client?: { clientId: string }; params?: Record<string, unknown> } };
  const noteGrant = (ctx: Ctx, status: number, error?: string) =>
    tokenRequests.push({ clientId: ctx.oidc.client?.clientId ?? '', hadVerifier: Boolean(ctx.oidc.params?.code_verifier), status, ...(error ? { error } : {}) });
  provider.on('grant.success', (ctx: Ctx) => noteGrant(ctx, 200));
  provider.on('grant.error', (ctx: Ctx, error: { statusCode?: number; error?: string }) => noteGrant(ctx, error.statusCode ?? 400, error.error));
  const oidc = provider.callback();

  async function interaction(request: IncomingMessage, response: ServerResponse, uid: string): Promise<void> {
    const details = await provider.interactionDetails(request, response);
    const clientId = String(details.params.client_id);
    const scope = String(details.params.scope ?? '');
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(consentPage(uid, clientId, scope));
      return;
    }
    const form = await readForm(request);
    if (form.get('decision') === 'deny') {
      await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'The user denied the request' }, { mergeWithLastSubmission: false });
      return;
    }
    const login = form.get('login') ?? '';
    if (!accounts.has(login)) {
      response.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      response.end(consentPage(uid, clientId, scope, `No test account ${login}`));
      return;
    }
    const grant = new provider.Grant({ accountId: login, clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    await provider.interactionFinished(request, response, { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  /** GitHub's REST API for the account behind a bearer token this server issued. */
  async function githubApi(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    if (!request.headers['user-agent']) return json(response, 403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header' });
    const match = /^(?:Bearer|token)\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const token = match ? await provider.AccessToken.find(match[1]!) : undefined;
    if (!token || token.isExpired) return json(response, 401, { message: 'Bad credentials' });
    const account = accounts.get(token.accountId);
    if (!account) return json(response, 401, { message: 'Bad credentials' });
    const scopes = new Set(String(token.scope ?? '').split(' '));
    if (path === '/api/user') return json(response, 200, { id: 1000 + [...accounts.keys()].indexOf(account.login), login: account.login, name: account.name ?? null });
    if (path === '/api/user/emails') {
      if (!scopes.has('user:email')) return json(response, 404, { message: 'Not Found' });
      const emails = [
        ...(account.email ? [{ email: account.email, primary: true, verified: account.emailVerified, visibility: 'private' }] : []),
        ...(account.otherEmails ?? []).map((e) => ({ ...e, primary: false, visibility: null })),
      ];
      return json(response, 200, emails);
    }
    return json(response, 404, { message: 'Not Found' });
  }

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    const uid = /^\/interaction\/([\w-]+)$/.exec(path)?.[1];
    const handled = uid ? interaction(request, response, uid) : path.startsWith('/api/') ? githubApi(request, response, path) : undefined;
    if (handled) {
      handled.catch((error: Error) => {
        if (!response.headersSent) json(response, 500, { error: 'server_error', message: error.message });
        else response.end();
      });
      return;
    }
    oidc(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });

  return {
    issuer,
    accounts,
    tokenRequests,
    env: {
      GITHUB_CLIENT_ID: CLIENTS.github.id,
      GITHUB_CLIENT_SECRET: CLIENTS.github.secret,
      GITHUB_URL: issuer,
      GITHUB_API_URL: `${issuer}/api`,
      GOOGLE_CLIENT_ID: CLIENTS.google.id,
      GOOGLE_CLIENT_SECRET: CLIENTS.google.secret,
      GOOGLE_ISSUER_URL: issuer,
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
