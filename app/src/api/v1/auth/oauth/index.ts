/**
 * OAuth sign-in routes, next to email links:
 *
 *   GET /api/v1/auth/oauth/:provider/start?next=/w/eng     → 302 to the provider
 *   GET /api/v1/auth/oauth/:provider/callback?code&state   → 302 into the app, signed in
 *
 * Both are browser navigations, so every outcome is a redirect: success goes to `next`, a
 * failure to the sign-in page with `?oauth_error=<code>&provider=<id>` (see outcomes.ts),
 * which says calmly what happened. What an operator must fix goes to the log.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { OAUTH_PROVIDER_IDS, OAUTH_SETTINGS, type OAuthProviderId } from '../../../../config/oauth.ts';
import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import { ERROR_RESPONSES, type ApiInstance } from '../../../schema.ts';
import type { ApiDependencies } from '../../../server.ts';
import { SESSION_TTL_SECONDS } from '../signin.ts';
import { setSessionCookie } from '../cookies.ts';
import { emailDomain } from '../signup.ts';
import { signInWithVerifiedEmail } from './account.ts';
import { safeNextPath } from '../next-path.ts';
import { clearAttemptCookie, readAttemptCookie, setAttemptCookie } from './attempt-cookie.ts';
import type { OAuthErrorCode } from './outcomes.ts';
import { describeProviderError } from './provider-errors.ts';
import { createProviders, redirectUriOf, type OAuthProvider } from './providers.ts';

const params = z.object({ provider: z.enum(OAUTH_PROVIDER_IDS, `must be one of ${OAUTH_PROVIDER_IDS.join(', ')}`) });
const redirect = z.void().describe('302 Found: Location is where the browser goes next');

export interface OAuthOptions {
  /** Replaces the providers built from the settings. */
  readonly providers?: Map<OAuthProviderId, OAuthProvider>;
}

export function registerOAuth(app: ApiInstance, deps: ApiDependencies, options: OAuthOptions = {}): void {
  const { config, pool, log } = deps;
  const providers = options.providers ?? createProviders(config);
  for (const provider of providers.values()) {
    log.info({ provider: provider.id, redirectUri: redirectUriOf(config, provider.id) }, `${provider.name} sign-in is on; its OAuth client must allow this callback URL`);
  }
  for (const id of config.oauth.awaitingSecret) {
    const names = OAUTH_SETTINGS[id];
    log.warn(
      { provider: id, setting: names.secret },
      `${names.name} sign-in is off: ${names.secret} still holds the deployment kit's placeholder; put the client secret from ${names.console} into its secret (see the secret-rotation runbook) and roll the api tasks`,
    );
  }

  const toSignIn = (reply: FastifyReply, id: OAuthProviderId, code: OAuthErrorCode) => {
    clearAttemptCookie(reply, config, id);
    return reply.redirect(`/signin?oauth_error=${code}&provider=${id}`, 302);
  };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');

  const startSchema = {
    summary: 'Start signing in with an OAuth provider (a browser navigation)',
    params,
    querystring: z.object({ next: z.string().optional().describe('a path of this app to open afterwards') }),
    response: { 302: redirect, ...ERROR_RESPONSES },
  };
  app.get('/api/v1/auth/oauth/:provider/start', { schema: startSchema }, async (request, reply) => {
    const id = request.params.provider;
    noStore(reply);
    const provider = providers.get(id);
    if (!provider) {
      log.info({ provider: id }, `${OAUTH_SETTINGS[id].name} sign-in was asked for but is off (set ${OAUTH_SETTINGS[id].id} and ${OAUTH_SETTINGS[id].secret})`);
      return toSignIn(reply, id, 'not_configured');
    }
    const attempt = { state: randomState(), codeVerifier: randomPKCECodeVerifier(), nonce: randomNonce(), next: safeNextPath(request.query.next) };
    let url: URL;
    try {
      url = await provider.authorizationUrl(attempt);
    } catch (error) {
      log.warn({ provider: id, ...describeProviderError(id, error) }, `${provider.name} sign-in could not start`);
      return toSignIn(reply, id, 'provider_error');
    }
    setAttemptCookie(reply, config, id, attempt);
    return reply.redirect(url.href, 302);
  });

  const callbackSchema = {
    summary: 'Where the OAuth provider sends the browser back: signs in and redirects into the app',
    params,
    querystring: z.object({ code: z.string(), state: z.string(), error: z.string(), error_description: z.string(), iss: z.string() }).partial(),
    response: { 302: redirect, ...ERROR_RESPONSES },
  };
  app.get('/api/v1/auth/oauth/:provider/callback', { schema: callbackSchema }, async (request, reply) => {
    const id = request.params.provider;
    noStore(reply);
    const provider = providers.get(id);
    if (!provider) return toSignIn(reply, id, 'not_configured');
    const fail = (code: OAuthErrorCode, detail: Record<string, unknown> = {}) => {
      log.info({ provider: id, outcome: code, ...detail }, `${provider.name} sign-in did not complete: ${code}`);
      return toSignIn(reply, id, code);
    };

    const attempt = readAttemptCookie(request, config, id);
    if (!attempt) return fail('state_missing');
    // The raw query, exactly as the provider sent it, for the library's own checks.
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    if (query.get('state') !== attempt.state) return fail('state_mismatch');
    const providerError = query.get('error');
    if (providerError) {
      return fail(providerError === 'access_denied' ? 'access_denied' : 'provider_error', { providerError: providerError.slice(0, 100) });
    }

    let identity;
    try {
      identity = await provider.complete(new URL(`${redirectUriOf(config, id)}?${query}`), attempt);
    } catch (error) {
      log.warn({ provider: id, ...describeProviderError(id, error) }, `${provider.name} sign-in failed at the provider`);
      return toSignIn(reply, id, 'provider_error');
    }
    if (!identity.email || !identity.emailVerified) {
      return fail('email_unverified', identity.email ? { domain: emailDomain(identity.email) } : { email: 'none shared' });
    }

    const outcome = await signInWithVerifiedEmail(pool, config, { email: identity.email, name: identity.name }, request);
    if (!outcome.signedIn) return fail('signup_not_allowed', { reason: outcome.reason, domain: emailDomain(identity.email) });
    log.info({ provider: id, created: outcome.created, domain: emailDomain(identity.email) }, `signed in with ${provider.name}`);
    clearAttemptCookie(reply, config, id);
    setSessionCookie(reply, config, outcome.sessionToken, SESSION_TTL_SECONDS);
    return reply.redirect(attempt.next, 302);
  });
}
