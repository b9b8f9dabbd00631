/**
 * OAuth sign-in settings: GitHub and Google, each enabled by its client id and secret (both or
 * neither). The provider URLs default to the real services; they can point at GitHub
 * Enterprise Server, or at a test server on this machine (plain http only on loopback).
 */
import type { Env, EnvCheck } from './env.ts';
import { v } from './env.ts';
import { isLoopbackHost } from './listen.ts';
import { isUnsetSecret, OAUTH_PROVIDER_IDS, OAUTH_PROVIDER_NAMES, type OAuthProviderId } from './oauth-providers.ts';
import { isPlaceholder } from './secrets.ts';

export { OAUTH_PROVIDER_IDS, type OAuthProviderId };

export const oauthFields = {
  GITHUB_CLIENT_ID: v.string(),
  GITHUB_CLIENT_SECRET: v.string(),
  GITHUB_URL: v.url(['http:', 'https:'], 'https://github.com'),
  GITHUB_API_URL: v.url(['http:', 'https:'], 'https://api.github.com'),
  GOOGLE_CLIENT_ID: v.string(),
  GOOGLE_CLIENT_SECRET: v.string(),
  GOOGLE_ISSUER_URL: v.url(['http:', 'https:'], 'https://accounts.google.com'),
};

interface ProviderSettingNames {
  readonly name: string;
  readonly id: string;
  readonly secret: string;
  readonly urls: readonly string[];
  /** Where the operator finds the client id and secret. */
  readonly console: string;
}

export const OAUTH_SETTINGS: Record<OAuthProviderId, ProviderSettingNames> = {
  github: {
    name: OAUTH_PROVIDER_NAMES.github,
    id: 'GITHUB_CLIENT_ID',
    secret: 'GITHUB_CLIENT_SECRET',
    urls: ['GITHUB_URL', 'GITHUB_API_URL'],
    console: 'GitHub → Settings → Developer settings → OAuth Apps',
  },
  google: {
    name: OAUTH_PROVIDER_NAMES.google,
    id: 'GOOGLE_CLIENT_ID',
    secret: 'GOOGLE_CLIENT_SECRET',
    urls: ['GOOGLE_ISSUER_URL'],
    console: 'Google Cloud console → APIs & Services → Credentials',
  },
};

export interface OAuthClientSettings {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface OAuthSettings {
  readonly github?: OAuthClientSettings & { readonly webUrl: string; readonly apiUrl: string };
  readonly google?: OAuthClientSettings & { readonly issuerUrl: string };
  /** Providers with a client id whose secret still holds the deployment kit's placeholder: off until it is put in. */
  readonly awaitingSecret: readonly OAuthProviderId[];
}

const given = (env: Env, name: string) => Boolean(env[name]?.trim());

/** An http URL is only for a server on this machine (a test or a local stand-in). */
function insecureRemote(value: string | undefined): boolean {
  if (!value?.trim()) return false;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' && !isLoopbackHost(url.hostname);
  } catch {
    return false; // reported by the field itself
  }
}

/** Cross-setting rules: a client id needs its secret and the other way round; URLs use https. */
export function oauthChecks(env: Env): EnvCheck[] {
  const production = env.SLIPWAY_ENV?.trim() === 'production';
  const problems: EnvCheck[] = [];
  for (const provider of Object.values(OAUTH_SETTINGS)) {
    const hasId = given(env, provider.id);
    const hasSecret = given(env, provider.secret);
    if (hasId && !hasSecret) {
      problems.push({ name: provider.secret, message: `required with ${provider.id}: set the client secret of the same OAuth client (${provider.console}), or unset ${provider.id} to turn ${provider.name} sign-in off` });
    }
    if (hasSecret && !hasId) {
      problems.push({ name: provider.id, message: `required with ${provider.secret}: set the client id of the same OAuth client (${provider.console}), or unset ${provider.secret} to turn ${provider.name} sign-in off` });
    }
    if (production && hasSecret && !isUnsetSecret(env[provider.secret]) && isPlaceholder(env[provider.secret]!.trim())) {
      problems.push({ name: provider.secret, message: `is a placeholder or example value; set the client secret from ${provider.console}` });
    }
    for (const name of provider.urls) {
      if (insecureRemote(env[name])) problems.push({ name, message: 'must use https (plain http only for a server on this machine, e.g. http://127.0.0.1:8080)' });
    }
  }
  return problems;
}

interface Fields {
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  GITHUB_URL?: string;
  GITHUB_API_URL?: string;
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  GOOGLE_ISSUER_URL?: string;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export function oauthConfig(f: Fields): OAuthSettings {
  const ready = (id?: string, secret?: string): secret is string => Boolean(id && secret && !isUnsetSecret(secret));
  return {
    github: ready(f.GITHUB_CLIENT_ID, f.GITHUB_CLIENT_SECRET)
      ? { clientId: f.GITHUB_CLIENT_ID!, clientSecret: f.GITHUB_CLIENT_SECRET!, webUrl: trimSlash(f.GITHUB_URL!), apiUrl: trimSlash(f.GITHUB_API_URL!) }
      : undefined,
    google: ready(f.GOOGLE_CLIENT_ID, f.GOOGLE_CLIENT_SECRET)
      ? { clientId: f.GOOGLE_CLIENT_ID!, clientSecret: f.GOOGLE_CLIENT_SECRET!, issuerUrl: trimSlash(f.GOOGLE_ISSUER_URL!) }
      : undefined,
    awaitingSecret: OAUTH_PROVIDER_IDS.filter((id) => {
      const names = OAUTH_SETTINGS[id];
      return Boolean(f[names.id as keyof Fields]) && isUnsetSecret(f[names.secret as keyof Fields]);
    }),
  };
}

/** The configured providers, in the order the sign-in page shows them. */
export function configuredProviders(settings: Pick<OAuthSettings, OAuthProviderId>): OAuthProviderId[] {
  return OAUTH_PROVIDER_IDS.filter((id) => settings[id] !== undefined);
}
