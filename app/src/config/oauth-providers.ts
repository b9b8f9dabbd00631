/**
 * The OAuth providers Slipway knows, by id, with the names people read. No dependencies: the
 * settings, the API and the web UI all import this one list.
 */
export const OAUTH_PROVIDER_IDS = ['github', 'google'] as const;
export type OAuthProviderId = (typeof OAUTH_PROVIDER_IDS)[number];

export const OAUTH_PROVIDER_NAMES: Record<OAuthProviderId, string> = { github: 'GitHub', google: 'Google' };

export function isOAuthProviderId(value: string | null | undefined): value is OAuthProviderId {
  return (OAUTH_PROVIDER_IDS as readonly string[]).includes(value ?? '');
}
