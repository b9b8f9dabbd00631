/**
 * The authentication hook, on the root instance so it runs for every /api/v1 route whichever
 * module registers it: sets `request.user` from a personal access token (Authorization:
 * Bearer pat_…) or the session cookie, and refuses cookie-authenticated writes whose Origin is
 * not one of the allowed origins (the browser always sends Origin on cross-site writes, so
 * this stops cross-site request forgery; a token is never sent by a browser on its own, so
 * token-authenticated requests need no Origin).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { ApiConfig } from '../../../config/api.ts';
import { HttpError, unauthenticated } from '../../errors.ts';
import { hashToken, TOKEN_PREFIX, type AuthUser } from '../context.ts';
import { hasSessionCookie, sessionCookieValues } from './cookies.ts';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** `pat_` and 32 random bytes in base64url. */
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);

export function isV1Request(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined) return route === '/api/v1' || route.startsWith('/api/v1/');
  const path = request.url.split('?', 1)[0]!;
  return path === '/api/v1' || path.startsWith('/api/v1/');
}

/** The request's origin: the Origin header, or failing that the origin of the Referer. */
export function requestOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin.length > 0) return origin;
  const referer = request.headers.referer;
  if (typeof referer === 'string' && referer.length > 0) {
    try {
      return new URL(referer).origin;
    } catch {
      return 'invalid';
    }
  }
  return undefined;
}

function originAllowed(config: ApiConfig, origin: string): boolean {
  return config.allowedOrigins.includes(origin.replace(/\/+$/, ''));
}

export async function authenticateToken(pool: pg.Pool, token: string): Promise<AuthUser | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const { rows } = await pool.query<{ token_id: string; stale: boolean; id: string; email: string; name: string }>(
    `SELECT t.id AS token_id,
            (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale,
            u.id, u.email, u.name
       FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) {
    await pool.query(
      `UPDATE personal_access_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [row.token_id],
    );
  }
  return { id: row.id, email: row.email, name: row.name, via: 'token', tokenId: row.token_id };
}

export async function authenticateSession(pool: pg.Pool, tokens: string[]): Promise<AuthUser | undefined> {
  if (tokens.length === 0) return undefined;
  const { rows } = await pool.query<{ session_id: string; stale: boolean; id: string; email: string; name: string }>(
    `SELECT s.id AS session_id,
            s.last_seen_at < now() - interval '1 minute' AS stale,
            u.id, u.email, u.name
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = ANY($1::text[]) AND s.revoked_at IS NULL AND s.expires_at > now()
      ORDER BY s.created_at DESC
      LIMIT 1`,
    [tokens.map(hashToken)],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) {
    await pool.query(`UPDATE sessions SET last_seen_at = now() WHERE id = $1 AND last_seen_at < now() - interval '1 minute'`, [row.session_id]);
  }
  return { id: row.id, email: row.email, name: row.name, via: 'session', sessionId: row.session_id };
}

export function registerAuthHook(app: FastifyInstance, deps: { config: ApiConfig; pool: pg.Pool }): void {
  const { config, pool } = deps;
  app.addHook('onRequest', async (request) => {
    if (!isV1Request(request)) return;
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && authorization.trim() !== '') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
      if (!match) throw unauthenticated('Send Authorization: Bearer pat_… (a personal access token)');
      const user = await authenticateToken(pool, match[1]!);
      if (!user) throw unauthenticated('The access token is not valid or has been revoked');
      request.user = user;
      return;
    }

    const unsafe = UNSAFE_METHODS.has(request.method);
    const origin = unsafe ? requestOrigin(request) : undefined;
    if (hasSessionCookie(request)) {
      const user = await authenticateSession(pool, sessionCookieValues(request));
      if (user) {
        if (unsafe && (origin === undefined || !originAllowed(config, origin))) {
          throw new HttpError(
            403,
            'origin_not_allowed',
            origin === undefined
              ? 'A write with a session cookie must carry an Origin header from an allowed origin (CORS_ALLOWED_ORIGINS)'
              : `Origin ${origin.slice(0, 200)} is not allowed (CORS_ALLOWED_ORIGINS)`,
          );
        }
        request.user = user;
        return;
      }
    }
    // Not authenticated: a write that a browser sent from a foreign page is refused as well,
    // so another site cannot sign a visitor in to an account of its choosing or send sign-in
    // mail through the visitor's browser. Clients outside a browser send no Origin.
    const sentOrigin = request.headers.origin;
    if (unsafe && typeof sentOrigin === 'string' && sentOrigin !== '' && !originAllowed(config, sentOrigin)) {
      throw new HttpError(403, 'origin_not_allowed', `Origin ${sentOrigin.slice(0, 200)} is not allowed (CORS_ALLOWED_ORIGINS)`);
    }
  });
}
