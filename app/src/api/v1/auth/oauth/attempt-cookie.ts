/**
 * One OAuth sign-in attempt, kept in the browser that started it: `state`, the PKCE code
 * verifier, the OpenID nonce and where to go afterwards, sealed with AES-256-GCM under a key
 * derived from SESSION_SECRET. Nothing is stored on the server, any API replica can finish
 * the attempt, and the callback only accepts a `state` that this browser's cookie carries
 * (RFC 6749 §10.12, RFC 9700 §4.7). The cookie lives for ten minutes, only on the OAuth
 * paths, and is SameSite=Lax so the provider's top-level redirect back still carries it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../../../../config/api.ts';
import type { OAuthProviderId } from '../../../../config/oauth.ts';

export const ATTEMPT_TTL_SECONDS = 600;
export const OAUTH_PATH = '/api/v1/auth/oauth';

export interface Attempt {
  readonly state: string;
  readonly codeVerifier: string;
  readonly nonce: string;
  /** A path of this app to open after signing in. */
  readonly next: string;
}

interface Sealed extends Attempt {
  readonly expiresAt: number;
}

export const attemptCookieName = (provider: OAuthProviderId) => `slipway_oauth_${provider}`;

function keyOf(config: ApiConfig): Buffer {
  return Buffer.from(hkdfSync('sha256', config.secrets.values.SESSION_SECRET, 'slipway', 'oauth sign-in attempt v1', 32));
}

export function seal(config: ApiConfig, provider: OAuthProviderId, attempt: Attempt, now = Date.now()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(config), iv);
  // The provider is authenticated too: an attempt started for one provider cannot finish at another.
  cipher.setAAD(Buffer.from(provider));
  const body: Sealed = { ...attempt, expiresAt: now + ATTEMPT_TTL_SECONDS * 1000 };
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64url');
}

/** The attempt, or undefined when the value was altered, sealed for another provider, or expired. */
export function unseal(config: ApiConfig, provider: OAuthProviderId, value: string, now = Date.now()): Attempt | undefined {
  try {
    const raw = Buffer.from(value, 'base64url');
    if (raw.length < 29) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', keyOf(config), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(provider));
    decipher.setAuthTag(raw.subarray(12, 28));
    const body = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as Sealed;
    if (typeof body.expiresAt !== 'number' || body.expiresAt < now) return undefined;
    return { state: body.state, codeVerifier: body.codeVerifier, nonce: body.nonce, next: body.next };
  } catch {
    return undefined;
  }
}

function attributes(config: ApiConfig, maxAgeSeconds: number): string {
  const parts = [`Path=${OAUTH_PATH}`, 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (config.appUrl.startsWith('https:')) parts.push('Secure');
  return parts.join('; ');
}

export function setAttemptCookie(reply: FastifyReply, config: ApiConfig, provider: OAuthProviderId, attempt: Attempt): void {
  reply.header('set-cookie', `${attemptCookieName(provider)}=${seal(config, provider, attempt)}; ${attributes(config, ATTEMPT_TTL_SECONDS)}`);
}

export function clearAttemptCookie(reply: FastifyReply, config: ApiConfig, provider: OAuthProviderId): void {
  reply.header('set-cookie', `${attemptCookieName(provider)}=; ${attributes(config, 0)}`);
}

export function readAttemptCookie(request: FastifyRequest, config: ApiConfig, provider: OAuthProviderId): Attempt | undefined {
  const name = attemptCookieName(provider);
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      const attempt = unseal(config, provider, part.slice(eq + 1).trim());
      if (attempt) return attempt;
    }
  }
  return undefined;
}
