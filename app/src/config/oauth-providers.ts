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

/**
 * The deployment kit creates each client-secret secret before the operator has the secret
 * from the provider, holding JSON with this key ("put the real value here"). The API treats a
 * provider whose secret still holds it as off, and says so in its log, so a deploy never
 * fails and nobody is offered a button that cannot work.
 */
export const UNSET_SECRET_KEY = 'slipway-unset';

export function isUnsetSecret(value: string | undefined): boolean {
  const trimmed = value?.trim() ?? '';
  return trimmed.startsWith('{') && trimmed.includes(`"${UNSET_SECRET_KEY}"`);
}
