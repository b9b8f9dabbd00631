/** The sealed OAuth attempt cookie and the return path it carries. */
import { describe, expect, it } from 'vitest';
import { ATTEMPT_TTL_SECONDS, seal, unseal } from '../src/api/v1/auth/oauth/attempt-cookie.ts';
import { safeNextPath } from '../src/api/v1/auth/next-path.ts';
import { loadApiConfig } from '../src/config/api.ts';

const config = loadApiConfig({ DATABASE_URL: 'postgres://a@127.0.0.1/x', SESSION_SECRET: 'q8Jr2vN0c1LxWz7PfHk3TsYb9MdGe5AuRj6Ci4Vo' });
const other = loadApiConfig({ DATABASE_URL: 'postgres://a@127.0.0.1/x', SESSION_SECRET: 'Zt4Kp8Wq1Ls6Nv3Hx9Rb2Fm7Jc0Yg5UdXk3Lp9Q' });
const attempt = { state: 'state-1', codeVerifier: 'verifier-1', nonce: 'nonce-1', next: '/w/eng' };

describe('attempt cookie', () => {
  it('opens what it sealed, and keeps it secret', () => {
    const sealed = seal(config, 'github', attempt);
    expect(unseal(config, 'github', sealed)).toEqual(attempt);
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('verifier-1');
  });

  it('refuses a value sealed for another provider, under another secret, altered or expired', () => {
    const now = Date.now();
    const sealed = seal(config, 'github', attempt, now);
    expect(unseal(config, 'google', sealed)).toBeUndefined();
    expect(unseal(other, 'github', sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    expect(unseal(config, 'github', bytes.toString('base64url'))).toBeUndefined();
    expect(unseal(config, 'github', sealed, now + ATTEMPT_TTL_SECONDS * 1000 + 1)).toBeUndefined();
    expect(unseal(config, 'github', 'not-a-cookie')).toBeUndefined();
  });
});

describe('safeNextPath', () => {
  it.each([
    ['/w/eng/issues/ENG-1?tab=comments', '/w/eng/issues/ENG-1?tab=comments'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['/api/v1/tokens', '/'],
    ['/auth/verify?token=x', '/'],
    ['/signin', '/'],
    [undefined, '/'],
    // A browser drops tabs and newlines and reads a backslash as a slash: all "//evil.example".
    ['/\t/evil.example/phish', '/'],
    ['/\n/evil.example', '/'],
    ['/\r\n/evil.example', '/'],
    ['/ /evil.example', '/%20/evil.example'],
    // Judged on the path a browser resolves.
    ['/w/../api/v1/tokens', '/'],
    ['/w/eng/../../auth/verify?token=x', '/'],
    ['/w/eng/./issues#top', '/w/eng/issues#top'],
  ])('%s → %s', (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });
});
