import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api.ts';
import { Link, navigate, useTitle } from '../router.tsx';
import { Spinner } from '../ui.tsx';
import { takeNextPath } from './SignIn.tsx';

/** A link is single-use: remember the attempt so a re-render never spends it twice. */
const attempts = new Map<string, Promise<unknown>>();

export function Verify({ token, onSignedIn }: { token: string; onSignedIn: () => Promise<void> }) {
  useTitle('Signing in');
  const [error, setError] = useState<string | null>(token ? null : 'This sign-in link is incomplete. Request a new one.');

  useEffect(() => {
    if (!token) return;
    let attempt = attempts.get(token);
    if (!attempt) {
      attempt = api.verify(token);
      attempts.set(token, attempt);
    }
    let active = true;
    attempt.then(
      async () => {
        await onSignedIn();
        if (active) navigate(takeNextPath(), { replace: true });
      },
      (err: unknown) => active && setError(errorMessage(err)),
    );
    return () => {
      active = false;
    };
  }, [token, onSignedIn]);

  return (
    <div className="auth-card card">
      {error ? (
        <div role="alert">
          <h1>That link did not work</h1>
          <p className="muted">{error}</p>
          <Link to="/signin" className="button button-primary button-block">
            Back to sign in
          </Link>
        </div>
      ) : (
        <Spinner label="Signing you in…" />
      )}
    </div>
  );
}
