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
import type { AccessRow } from '../workspaces/access.ts';
import { SLUG_PATTERN } from '../workspaces/schemas.ts';
import { hasSessionCookie, sessionCookieValues } from './cookies.ts';
import { authenticateSession, authenticateToken, type CompanionRead } from './credentials.ts';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on routes under /api/v1/workspaces/:slug: authentication also reads the membership. */
    workspaceScoped?: boolean;
    /**
     * A workspace-scoped read that authentication runs in its own statement (one round trip
     * for credential, membership and data). Returns undefined when this request cannot be
     * answered that way (its input is invalid, say); the route then reads as usual.
     */
    companionRead?: (request: FastifyRequest) => CompanionRead | undefined;
  }
  interface FastifyRequest {
    /** The membership found with the credential (workspace-scoped routes only). */
    membership?: AccessRow | null;
    /** The rows of the route's companion read, when authentication ran it for a member. */
    companionRows?: Record<string, unknown>[];
  }
}

/** The raw :slug of a workspace-scoped route (validated later; here only a bind parameter). */
function scopedSlug(request: FastifyRequest): string | undefined {
  if (!request.routeOptions.config?.workspaceScoped) return undefined;
  const slug = (request.params as { slug?: unknown } | undefined)?.slug;
  // Anything that is not a slug fails validation later; it never reaches the database.
  return typeof slug === 'string' && SLUG_PATTERN.test(slug) ? slug : undefined;
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

/** The route's companion read for this request, where it has one and the workspace is named. */
function companionOf(request: FastifyRequest, slug: string | undefined): CompanionRead | undefined {
  const read = request.routeOptions.config?.companionRead;
  return read && slug !== undefined ? read(request) : undefined;
}

function originAllowed(config: ApiConfig, origin: string): boolean {
  return config.allowedOrigins.includes(origin.replace(/\/+$/, ''));
}

export function registerAuthHook(app: FastifyInstance, deps: { config: ApiConfig; pool: pg.Pool }): void {
  const { config, pool } = deps;
  const authenticate = async (request: FastifyRequest): Promise<void> => {
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && authorization.trim() !== '') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
      if (!match) throw unauthenticated('Send Authorization: Bearer pat_… (a personal access token)');
      const slug = scopedSlug(request);
      const found = await authenticateToken(pool, match[1]!, slug, companionOf(request, slug));
      if (!found) throw unauthenticated('The access token is not valid or has been revoked');
      request.user = found.user;
      request.membership = found.membership;
      request.companionRows = found.companionRows;
      return;
    }

    const unsafe = UNSAFE_METHODS.has(request.method);
    const origin = unsafe ? requestOrigin(request) : undefined;
    if (hasSessionCookie(request)) {
      const slug = scopedSlug(request);
      // A write checks its origin first; only reads take the companion.
      const found = await authenticateSession(pool, sessionCookieValues(request), slug, unsafe ? undefined : companionOf(request, slug));
      if (found) {
        if (unsafe && (origin === undefined || !originAllowed(config, origin))) {
          throw new HttpError(
            403,
            'origin_not_allowed',
            origin === undefined
              ? 'A write with a session cookie must carry an Origin header from an allowed origin (CORS_ALLOWED_ORIGINS)'
              : `Origin ${origin.slice(0, 200)} is not allowed (CORS_ALLOWED_ORIGINS)`,
          );
        }
        request.user = found.user;
        request.membership = found.membership;
        request.companionRows = found.companionRows;
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
  };
  // A route-level hook on every /api/v1 route, whichever plugin registers it (onRoute reaches
  // encapsulated children too); health checks and metrics do not pay for it.
  app.addHook('onRoute', (route) => {
    if (route.url !== '/api/v1' && !route.url.startsWith('/api/v1/')) return;
    route.onRequest = [authenticate, ...[route.onRequest ?? []].flat()];
  });
}
