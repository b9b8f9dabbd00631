/**
 * The two OAuth providers, through openid-client (OAuth 2.0 and OpenID Connect, maintained,
 * no framework). Both use the authorization code flow with `state` and PKCE (S256).
 *
 * - GitHub is plain OAuth 2.0: the address comes from the emails API, and only the primary
 *   address counts, and only when GitHub marks it verified
 *   (https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user).
 * - Google is OpenID Connect: the endpoints come from discovery, the ID token is checked
 *   (issuer, audience, expiry, nonce) and its `email` counts only with `email_verified: true`
 *   (https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload).
 */
import * as client from 'openid-client';
import type { ApiConfig } from '../../../../config/api.ts';
import { OAUTH_SETTINGS, type OAuthProviderId, type OAuthSettings } from '../../../../config/oauth.ts';
import type { Attempt } from './attempt-cookie.ts';

/** Who the provider says signed in. */
export interface ProviderIdentity {
  /** The address the provider vouches for, lower-cased; undefined when it shared none. */
  readonly email?: string;
  readonly emailVerified: boolean;
  /** A display name for a new account (may be empty). */
  readonly name: string;
}

export interface OAuthProvider {
  readonly id: OAuthProviderId;
  readonly name: string;
  /** Where to send the browser to ask for consent. */
  authorizationUrl(attempt: Attempt): Promise<URL>;
  /** Redeems the code in the callback URL (checking state and PKCE) and reads the identity. */
  complete(callbackUrl: URL, attempt: Attempt): Promise<ProviderIdentity>;
}

/** Requests to the provider give up after this long: the person is waiting on a redirect. */
const TIMEOUT_SECONDS = 10;

const callbackUrl = (config: ApiConfig, id: OAuthProviderId) => `${config.appUrl}/api/v1/auth/oauth/${id}/callback`;

function tuned(configuration: client.Configuration, url: string): client.Configuration {
  configuration.timeout = TIMEOUT_SECONDS;
  // Only reachable for a server on this machine: the settings refuse http elsewhere.
  if (url.startsWith('http:')) client.allowInsecureRequests(configuration);
  return configuration;
}

async function pkce(attempt: Attempt): Promise<Record<string, string>> {
  return { state: attempt.state, code_challenge: await client.calculatePKCECodeChallenge(attempt.codeVerifier), code_challenge_method: 'S256' };
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

class GitHub implements OAuthProvider {
  readonly id = 'github' as const;
  readonly name = OAUTH_SETTINGS.github.name;
  private readonly configuration: client.Configuration;
  private readonly redirectUri: string;

  constructor(
    private readonly settings: NonNullable<OAuthSettings['github']>,
    config: ApiConfig,
  ) {
    this.redirectUri = callbackUrl(config, this.id);
    // GitHub publishes no discovery document; these are its documented endpoints
    // (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps).
    const server: client.ServerMetadata = {
      issuer: settings.webUrl,
      authorization_endpoint: `${settings.webUrl}/login/oauth/authorize`,
      token_endpoint: `${settings.webUrl}/login/oauth/access_token`,
    };
    this.configuration = tuned(new client.Configuration(server, settings.clientId, settings.clientSecret), settings.webUrl);
  }

  async authorizationUrl(attempt: Attempt): Promise<URL> {
    return client.buildAuthorizationUrl(this.configuration, { redirect_uri: this.redirectUri, scope: 'read:user user:email', ...(await pkce(attempt)) });
  }

  async complete(callback: URL, attempt: Attempt): Promise<ProviderIdentity> {
    const tokens = await client.authorizationCodeGrant(this.configuration, callback, { pkceCodeVerifier: attempt.codeVerifier, expectedState: attempt.state });
    const [user, emails] = await Promise.all([
      this.get<{ login?: string; name?: string | null }>(tokens.access_token, '/user'),
      this.get<GitHubEmail[]>(tokens.access_token, '/user/emails'),
    ]);
    const primary = Array.isArray(emails) ? emails.find((entry) => entry.primary) : undefined;
    return {
      email: primary?.email?.toLowerCase(),
      emailVerified: primary?.verified === true,
      name: (user.name || user.login || '').slice(0, 200),
    };
  }

  private async get<T>(accessToken: string, path: string): Promise<T> {
    const headers = new Headers({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'Slipway' });
    const response = await client.fetchProtectedResource(this.configuration, accessToken, new URL(`${this.settings.apiUrl}${path}`), 'GET', null, headers);
    if (!response.ok) throw new ProviderApiError(`GitHub API ${path} answered ${response.status}`);
    return (await response.json()) as T;
  }
}

class Google implements OAuthProvider {
  readonly id = 'google' as const;
  readonly name = OAUTH_SETTINGS.google.name;
  private discovered?: Promise<client.Configuration>;
  private readonly redirectUri: string;

  constructor(
    private readonly settings: NonNullable<OAuthSettings['google']>,
    config: ApiConfig,
  ) {
    this.redirectUri = callbackUrl(config, this.id);
  }

  /** Discovery runs on first use and is kept; a failed attempt is retried next time. */
  private configuration(): Promise<client.Configuration> {
    const { issuerUrl, clientId, clientSecret } = this.settings;
    const insecure = issuerUrl.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : {};
    this.discovered ??= client
      .discovery(new URL(issuerUrl), clientId, clientSecret, undefined, { timeout: TIMEOUT_SECONDS, ...insecure })
      .then((configuration) => tuned(configuration, issuerUrl));
    this.discovered.catch(() => (this.discovered = undefined));
    return this.discovered;
  }

  async authorizationUrl(attempt: Attempt): Promise<URL> {
    const configuration = await this.configuration();
    return client.buildAuthorizationUrl(configuration, { redirect_uri: this.redirectUri, scope: 'openid email profile', nonce: attempt.nonce, ...(await pkce(attempt)) });
  }

  async complete(callback: URL, attempt: Attempt): Promise<ProviderIdentity> {
    const configuration = await this.configuration();
    const tokens = await client.authorizationCodeGrant(configuration, callback, {
      pkceCodeVerifier: attempt.codeVerifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const email = typeof claims?.email === 'string' ? claims.email.toLowerCase() : undefined;
    return { email, emailVerified: claims?.email_verified === true, name: typeof claims?.name === 'string' ? claims.name.slice(0, 200) : '' };
  }
}

export class ProviderApiError extends Error {
  override readonly name = 'ProviderApiError';
}

/** The providers the settings configure, by id. */
export function createProviders(config: ApiConfig): Map<OAuthProviderId, OAuthProvider> {
  const providers = new Map<OAuthProviderId, OAuthProvider>();
  if (config.oauth.github) providers.set('github', new GitHub(config.oauth.github, config));
  if (config.oauth.google) providers.set('google', new Google(config.oauth.google, config));
  return providers;
}

/** The callback URL to register with each provider (shown in the docs and the startup log). */
export const redirectUriOf = callbackUrl;
