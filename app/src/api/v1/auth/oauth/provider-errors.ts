/**
 * What went wrong at a provider, for the server log (never for the person signing in): the
 * library's error class and code, the provider's OAuth error, and, when the provider refused
 * the server's own credentials, which settings to check.
 */
import { OAUTH_SETTINGS, type OAuthProviderId } from '../../../../config/oauth.ts';

/** OAuth error codes that mean the client id or secret is wrong (GitHub has its own name for it). */
const BAD_CLIENT = new Set(['invalid_client', 'unauthorized_client', 'incorrect_client_credentials', 'redirect_uri_mismatch']);

interface Described {
  readonly reason: string;
  readonly providerError?: string;
  readonly fix?: string;
}

function oauthErrorOf(error: unknown): { code?: string; description?: string } {
  const e = error as { error?: unknown; error_description?: unknown; cause?: { error?: unknown; error_description?: unknown; body?: { error?: unknown; error_description?: unknown } } };
  // ResponseBodyError carries the error itself; a 200 answer with an error body (GitHub's
  // habit) surfaces as a processing error whose cause holds the body.
  for (const source of [e, e.cause, e.cause?.body]) {
    if (source && typeof source.error === 'string') {
      return { code: source.error, description: typeof source.error_description === 'string' ? source.error_description : undefined };
    }
  }
  return {};
}

export function describeProviderError(provider: OAuthProviderId, error: unknown): Described {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const parts = [e.name ?? 'Error', e.code, e.message, e.cause?.code ?? e.cause?.message].filter((part): part is string => typeof part === 'string' && part !== '');
  const reason = [...new Set(parts)].join(': ').replace(/\s+/g, ' ').slice(0, 500);
  const { code, description } = oauthErrorOf(error);
  const settings = OAUTH_SETTINGS[provider];
  const providerError = code ? `${code}${description ? `: ${description.slice(0, 200)}` : ''}` : undefined;
  if (code && BAD_CLIENT.has(code)) {
    return { reason, providerError, fix: `${settings.name} refused this server's OAuth client: check ${settings.id} and ${settings.secret} (${settings.console}) and that the client allows the callback URL` };
  }
  const unreachable = /fetch failed|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|aborted|timeout/i.test(reason);
  if (unreachable) return { reason, providerError, fix: `${settings.name} could not be reached: check the network path to it (${settings.urls.join(', ')})` };
  return { reason, providerError };
}
