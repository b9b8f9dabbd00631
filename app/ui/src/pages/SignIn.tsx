import { useState, type FormEvent } from 'react';
import { isOAuthErrorCode, oauthErrorMessage } from '../../../src/api/v1/auth/oauth/outcomes.ts';
import { isOAuthProviderId, OAUTH_PROVIDER_NAMES } from '../../../src/config/oauth-providers.ts';
import { api, errorMessage } from '../api.ts';
import { Logo } from '../App.tsx';
import { useCapabilities } from '../capabilities.ts';
import { useLocation, useTitle } from '../router.tsx';
import { Field } from '../ui.tsx';

const NEXT_KEY = 'slipway.next';

/** Where to go after the magic link is opened (kept across the email round trip). */
export function takeNextPath(): string {
  try {
    const next = sessionStorage.getItem(NEXT_KEY);
    sessionStorage.removeItem(NEXT_KEY);
    if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/auth/')) return next;
  } catch {
    // storage disabled
  }
  return '/';
}

/** Why the last OAuth sign-in did not finish, in plain words (the callback adds ?oauth_error=). */
function oauthNotice(query: URLSearchParams): string | undefined {
  const code = query.get('oauth_error');
  const provider = query.get('provider');
  if (!isOAuthErrorCode(code)) return undefined;
  return oauthErrorMessage(code, isOAuthProviderId(provider) ? OAUTH_PROVIDER_NAMES[provider] : 'the provider');
}

export function SignIn({ next }: { next: string | null }) {
  useTitle('Sign in');
  const { query } = useLocation();
  const capabilities = useCapabilities();
  const providers = capabilities?.signIn.providers ?? [];
  // Until the server has answered, offer email links: they are what every server has.
  const emailLink = capabilities?.signIn.emailLink ?? true;
  const notice = oauthNotice(query);
  const returnTo = next && next !== '/' && next !== '/signin' ? next : null;
  const [email, setEmail] = useState(query.get('email') ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<{ email: string; link?: string } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (next && next !== '/' && next !== '/signin') sessionStorage.setItem(NEXT_KEY, next);
      const result = await api.requestLink(email.trim());
      setSent({ email: email.trim(), link: result.link });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth-card card">
      <div className="auth-brand">
        <Logo />
        <span>Slipway</span>
      </div>
      {sent ? (
        <div aria-live="polite">
          <h1>Check your email</h1>
          <p className="muted">
            We sent a sign-in link to <strong>{sent.email}</strong>. It works once and expires in 15 minutes.
          </p>
          {sent.link && (
            <div className="dev-link" data-testid="dev-link">
              <p>
                <strong>Development mode:</strong> no email provider is configured, so here is your link.
              </p>
              <a href={sent.link} className="button button-primary button-block">
                Open sign-in link
              </a>
            </div>
          )}
          <button type="button" className="button button-ghost button-block" onClick={() => setSent(null)}>
            Use a different email
          </button>
        </div>
      ) : (
        <div>
          <h1>Sign in</h1>
          {notice && (
            <div className="alert alert-notice" role="status" data-testid="oauth-notice">
              <p>{notice}</p>
            </div>
          )}
          {providers.length > 0 && (
            <div className="oauth-providers">
              {providers.map((provider) => (
                <a
                  key={provider.id}
                  className="button button-block"
                  href={returnTo ? `${provider.startUrl}?next=${encodeURIComponent(returnTo)}` : provider.startUrl}
                >
                  Continue with {provider.name}
                </a>
              ))}
            </div>
          )}
          {providers.length > 0 && emailLink && (
            <p className="divider" aria-hidden="true">
              <span>or</span>
            </p>
          )}
          {!emailLink && providers.length === 0 && (
            <p className="muted">No way to sign in is set up on this server yet. Ask the person who runs it.</p>
          )}
          {emailLink && (
            <form onSubmit={submit} noValidate={false}>
              <p className="muted">Enter your email and we will send you a link to sign in. No password needed.</p>
              <Field label="Email" id="signin-email" error={error ?? undefined}>
                <input
                  id="signin-email"
                  type="email"
                  name="email"
                  autoComplete="email"
                  required
                  autoFocus
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? 'signin-email-error' : undefined}
                />
              </Field>
              <button type="submit" className="button button-primary button-block" disabled={busy || !email.trim()}>
                {busy ? 'Sending…' : 'Email me a sign-in link'}
              </button>
            </form>
          )}
        </div>
      )}
    </div>
  );
}
