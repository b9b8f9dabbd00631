/**
 * Why an OAuth sign-in did not end in a session. The callback sends the browser back to the
 * sign-in page with `?oauth_error=<code>&provider=<id>`; the UI imports these words, so the
 * codes the server sends and the sentences people read cannot drift apart. None names a
 * server setting: what an operator must fix goes to the server log.
 */
export const OAUTH_ERROR_CODES = [
  'not_configured',
  'state_missing',
  'state_mismatch',
  'access_denied',
  'email_unverified',
  'signup_not_allowed',
  'provider_error',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** What the sign-in page says, with the provider's name filled in. */
export function oauthErrorMessage(code: OAuthErrorCode, provider: string): string {
  switch (code) {
    case 'not_configured':
      return `Signing in with ${provider} is not available on this server.`;
    case 'state_missing':
      return `That ${provider} sign-in expired or was started in another browser. Start again from this page.`;
    case 'state_mismatch':
      return `That ${provider} sign-in could not be matched to this browser, so it was stopped to keep your account safe. Start again from this page.`;
    case 'access_denied':
      return `You did not allow access at ${provider}, so you are not signed in. You can try again, or use another way to sign in.`;
    case 'email_unverified':
      return `${provider} did not confirm a verified email address for your account. Verify your primary email address at ${provider}, or sign in with an email link.`;
    case 'signup_not_allowed':
      return 'There is no account for that email address here, and new accounts need an invitation. Ask a workspace admin to invite you.';
    case 'provider_error':
      return `${provider} did not complete the sign-in. Try again in a minute, or use another way to sign in.`;
  }
}

export function isOAuthErrorCode(value: string | null | undefined): value is OAuthErrorCode {
  return (OAUTH_ERROR_CODES as readonly string[]).includes(value ?? '');
}
