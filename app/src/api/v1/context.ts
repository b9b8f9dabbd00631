/**
 * What every /api/v1 route module shares: the signed-in user on the request, and how
 * credentials are stored (only their SHA-256; the tokens themselves are random and long,
 * so a fast hash is enough and a database leak reveals no usable credential).
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../errors.ts';

export interface AuthUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  /** How the request authenticated: a browser session cookie or a personal access token. */
  readonly via: 'session' | 'token';
  readonly sessionId?: string;
  readonly tokenId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook when the request carries a valid session or token. */
    user?: AuthUser;
  }
}

export function requireUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw unauthenticated();
  return request.user;
}

/** A preValidation hook for scopes whose every route needs a signed-in user: 401 after the body is read, before it is validated. */
export async function signedIn(request: FastifyRequest): Promise<void> {
  requireUser(request);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const SESSION_COOKIE = 'slipway_session';
export const TOKEN_PREFIX = 'pat_';
