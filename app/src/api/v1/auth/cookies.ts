/** The session cookie: how it is read from a request and written to a response. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../../../config/api.ts';
import { SESSION_COOKIE } from '../context.ts';

/** Session tokens are 32 random bytes in base64url: anything else is not worth a lookup. */
export const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Every well-formed value of the session cookie (a browser may send two, e.g. host-only and domain). */
export function sessionCookieValues(request: FastifyRequest): string[] {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length === 0) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (SESSION_TOKEN_PATTERN.test(value) && !values.includes(value)) values.push(value);
    if (values.length >= 3) break;
  }
  return values;
}

export function hasSessionCookie(request: FastifyRequest): boolean {
  const header = request.headers.cookie;
  return typeof header === 'string' && header.split(';').some((part) => part.split('=', 1)[0]!.trim() === SESSION_COOKIE);
}

function attributes(config: ApiConfig, maxAgeSeconds: number): string[] {
  const parts = ['Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (maxAgeSeconds === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (config.cookieDomain) parts.push(`Domain=${config.cookieDomain}`);
  // Secure follows the public URL: an https app never lets the cookie travel over http;
  // a local http app would never get the cookie back if it were marked Secure.
  if (config.appUrl.startsWith('https:')) parts.push('Secure');
  return parts;
}

export function setSessionCookie(reply: FastifyReply, config: ApiConfig, token: string, maxAgeSeconds: number): void {
  reply.header('set-cookie', [`${SESSION_COOKIE}=${token}`, ...attributes(config, maxAgeSeconds)].join('; '));
}

export function clearSessionCookie(reply: FastifyReply, config: ApiConfig): void {
  reply.header('set-cookie', [`${SESSION_COOKIE}=`, ...attributes(config, 0)].join('; '));
}
