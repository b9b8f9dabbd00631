/**
 * Signing in from tests through the real HTTP API, the way a developer does without an email
 * provider: request a magic link (outside production the API returns it in the answer), open
 * it, keep the session cookie.
 *
 *   const { cookie, user } = await signIn(apiUrl, 'ada@example.com');
 *   await fetch(`${apiUrl}/api/v1/me`, { headers: { cookie } });
 *   // Cookie-authenticated writes need an allowed Origin (APP_URL by default):
 *   await fetch(url, { method: 'POST', headers: { cookie, origin: appUrl, 'content-type': 'application/json' }, body });
 *   // Or use a personal access token, which needs no Origin:
 *   const token = await createToken(apiUrl, cookie, appUrl);
 *   await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 *
 * Sign-in is rate limited: 5 links per address per 15 minutes, 30 per client address. Each
 * call here presents a different client address (X-Forwarded-For, honoured from loopback
 * with the default TRUSTED_PROXY_CIDRS), so only the per-address limit applies: sign each
 * user in once per app and reuse the cookie rather than signing in before every test.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startApi, type RunningApi } from '../../src/api/run.ts';
import { SESSION_COOKIE } from '../../src/api/v1/context.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { createLogger } from '../../src/logger.ts';
import { poolSizeSetting } from './pool-size.ts';

export interface SignedIn {
  /** Ready for a `cookie` request header: `slipway_session=…`. */
  readonly cookie: string;
  readonly user: { readonly id: string; readonly email: string; readonly name: string };
}

export interface SignInOptions {
  /** Sent as Origin on both requests (omit it: clients outside a browser send none). */
  readonly origin?: string;
  /** Client address to present in X-Forwarded-For (default: a fresh one per call). */
  readonly ip?: string;
}

let clientCounter = 0;
/** A distinct address from 198.18.0.0/15, the range reserved for benchmarking. */
function nextClientAddress(): string {
  const n = (process.pid * 7919 + clientCounter++) % 131_072;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function failure(response: Response, what: string): Promise<Error> {
  return new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
}

/** Requests a magic link and returns it (the API must run outside production without an email provider). */
export async function requestLink(apiUrl: string, email: string, options: SignInOptions = {}): Promise<string> {
  const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? nextClientAddress() };
  if (options.origin) headers.origin = options.origin;
  const response = await post(`${apiUrl}/api/v1/auth/magic-link`, { email }, headers);
  if (response.status !== 202) throw await failure(response, `magic link for ${email}`);
  const body = (await response.json()) as { link?: string };
  if (!body.link) throw new Error('The API returned no link: run it outside production with no email provider configured');
  return body.link;
}

export function tokenFromLink(link: string): string {
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`No token in ${link}`);
  return token;
}

/** Signs `email` in (creating the user if new) and returns the session cookie and the user. */
export async function signIn(apiUrl: string, email: string, options: SignInOptions = {}): Promise<SignedIn> {
  const link = await requestLink(apiUrl, email, options);
  const headers: Record<string, string> = {};
  if (options.origin) headers.origin = options.origin;
  const response = await post(`${apiUrl}/api/v1/auth/verify`, { token: tokenFromLink(link) }, headers);
  if (response.status !== 200) throw await failure(response, `verify for ${email}`);
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!setCookie) throw new Error('verify answered without a session cookie');
  const body = (await response.json()) as { user: SignedIn['user'] };
  return { cookie: setCookie.split(';', 1)[0]!, user: body.user };
}

/** Creates a personal access token with a signed-in cookie and returns it (`pat_…`). */
export async function createToken(apiUrl: string, cookie: string, origin: string, name = 'test token'): Promise<string> {
  const response = await post(`${apiUrl}/api/v1/tokens`, { name }, { cookie, origin });
  if (response.status !== 201) throw await failure(response, 'create token');
  const body = (await response.json()) as { token: string };
  return body.token;
}

/** Secrets that production accepts, fresh per call (tests that run the API as production). */
export function productionSecrets(): Record<string, string> {
  return {
    SESSION_SECRET: randomBytes(48).toString('base64'),
    METRICS_TOKEN: randomBytes(32).toString('hex'),
    CREDENTIALS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

export interface LoggedApi {
  readonly url: string;
  readonly app: RunningApi['app'];
  /** Every JSON log line the API wrote so far. */
  logs(): Array<Record<string, unknown>>;
  /** All log output as one string, for "never appears" assertions. */
  logText(): string;
  stop(): Promise<void>;
}

/** Starts the API in this process on a free port, keeping its log lines for assertions. */
export async function startApiWithLogs(env: Record<string, string | undefined>): Promise<LoggedApi> {
  const config = loadApiConfig({ SLIPWAY_ENV: 'test', HOST: '127.0.0.1', API_PORT: '0', SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0', LOG_LEVEL: 'info', ...poolSizeSetting(), ...env });
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const log = createLogger({ level: 'info', name: 'api', destination: stream });
  const api = await startApi(config, log);
  return {
    url: api.url,
    app: api.app,
    logs: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => text,
    stop: () => api.shutdown('test finished'),
  };
}
