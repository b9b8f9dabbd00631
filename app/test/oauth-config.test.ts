/** OAuth sign-in settings: both halves of a client or neither, https, and no placeholders in production. */
import { describe, expect, it } from 'vitest';
import { loadApiConfig } from '../src/config/api.ts';
import { configuredProviders } from '../src/config/oauth.ts';
import { UNSET_SECRET_KEY } from '../src/config/oauth-providers.ts';
import { problemsOf } from './support/config.ts';

const DB = { DATABASE_URL: 'postgres://app:pw@db.internal:5432/slipway' };
const PRODUCTION = {
  ...DB,
  SLIPWAY_ENV: 'production',
  SESSION_SECRET: 'q8Jr2vN0c1LxWz7PfHk3TsYb9MdGe5AuRj6Ci4Vo',
  METRICS_TOKEN: 'Zt4Kp8Wq1Ls6Nv3Hx9Rb2Fm7Jc0Yg5Ud',
  CREDENTIALS_ENCRYPTION_KEY: '5f0c2a9e8b7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c',
};
const GITHUB = { GITHUB_CLIENT_ID: 'Ov23liAbCdEf0123', GITHUB_CLIENT_SECRET: '3f7c9a1e5b2d8f4a6c0e9b7d5f3a1c8e2b4d6f80' };
const GOOGLE = { GOOGLE_CLIENT_ID: '1234-abc.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: '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' };

describe('OAuth settings', () => {
  it('no provider is on by default', () => {
    expect(configuredProviders(loadApiConfig(DB).oauth)).toEqual([]);
  });

  it('a client id and secret turn a provider on, with the real endpoints by default', () => {
    const config = loadApiConfig({ ...DB, ...GITHUB, ...GOOGLE });
    expect(configuredProviders(config.oauth)).toEqual(['github', 'google']);
    expect(config.oauth.github).toEqual({ ...{ clientId: GITHUB.GITHUB_CLIENT_ID, clientSecret: GITHUB.GITHUB_CLIENT_SECRET }, webUrl: 'https://github.com', apiUrl: 'https://api.github.com' });
    expect(config.oauth.google).toEqual({ clientId: GOOGLE.GOOGLE_CLIENT_ID, clientSecret: GOOGLE.GOOGLE_CLIENT_SECRET, issuerUrl: 'https://accounts.google.com' });
  });

  it('points GitHub at GitHub Enterprise Server', () => {
    const config = loadApiConfig({ ...DB, ...GITHUB, GITHUB_URL: 'https://github.corp.example/', GITHUB_API_URL: 'https://github.corp.example/api/v3' });
    expect(config.oauth.github).toMatchObject({ webUrl: 'https://github.corp.example', apiUrl: 'https://github.corp.example/api/v3' });
  });

  it.each([
    ['production', PRODUCTION],
    ['development', DB],
  ])('refuses a client id without its secret and a secret without its id (%s)', (_env, base) => {
    const problems = problemsOf(() => loadApiConfig({ ...base, GITHUB_CLIENT_ID: GITHUB.GITHUB_CLIENT_ID, GOOGLE_CLIENT_SECRET: GOOGLE.GOOGLE_CLIENT_SECRET }));
    expect(problems).toEqual([
      'GITHUB_CLIENT_SECRET: required with GITHUB_CLIENT_ID: set the client secret of the same OAuth client (GitHub → Settings → Developer settings → OAuth Apps), or unset GITHUB_CLIENT_ID to turn GitHub sign-in off',
      'GOOGLE_CLIENT_ID: required with GOOGLE_CLIENT_SECRET: set the client id of the same OAuth client (Google Cloud console → APIs & Services → Credentials), or unset GOOGLE_CLIENT_SECRET to turn Google sign-in off',
    ]);
  });

  it('production refuses a placeholder client secret without echoing it', () => {
    const problems = problemsOf(() => loadApiConfig({ ...PRODUCTION, ...GOOGLE, GOOGLE_CLIENT_SECRET: 'replace-me-with-the-google-secret' }));
    expect(problems).toEqual(['GOOGLE_CLIENT_SECRET: is a placeholder or example value; set the client secret from Google Cloud console → APIs & Services → Credentials']);
    expect(problems.join()).not.toContain('replace-me');
    expect(configuredProviders(loadApiConfig({ ...PRODUCTION, ...GOOGLE }).oauth)).toEqual(['google']);
  });

  it('refuses plain http to a provider that is not on this machine', () => {
    expect(problemsOf(() => loadApiConfig({ ...DB, ...GOOGLE, GOOGLE_ISSUER_URL: 'http://accounts.example.com' }))).toEqual([
      'GOOGLE_ISSUER_URL: must use https (plain http only for a server on this machine, e.g. http://127.0.0.1:8080)',
    ]);
    expect(loadApiConfig({ ...DB, ...GOOGLE, GOOGLE_ISSUER_URL: 'http://127.0.0.1:9000' }).oauth.google?.issuerUrl).toBe('http://127.0.0.1:9000');
  });

  it("production: a secret that still holds the deployment kit's placeholder leaves the provider off, without refusing to start", () => {
    const placeholder = JSON.stringify({ [UNSET_SECRET_KEY]: 'Replace this whole value with the client secret', padding: 'k3J9x2' });
    const config = loadApiConfig({ ...PRODUCTION, ...GITHUB, GITHUB_CLIENT_SECRET: placeholder, ...GOOGLE });
    expect(configuredProviders(config.oauth)).toEqual(['google']);
    expect(config.oauth.awaitingSecret).toEqual(['github']);
  });
});
