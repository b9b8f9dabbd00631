import { useState, type FormEvent } from 'react';
import { api, errorMessage } from '../api.ts';
import { Logo } from '../App.tsx';
import { useTitle } from '../router.tsx';
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

export function SignIn({ next }: { next: string | null }) {
  useTitle('Sign in');
  const [email, setEmail] = useState('');
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
        <form onSubmit={submit} noValidate={false}>
          <h1>Sign in</h1>
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
  );
}
