/**
 * Who may sign up. An existing user may always sign in. A new address must pass the
 * allowlists (ALLOWED_EMAILS, ALLOWED_EMAIL_DOMAINS; both empty: any address), and then either
 * ALLOW_SIGNUP is true or the address has a pending workspace invitation.
 */
import type pg from 'pg';
import type { ApiConfig } from '../../../config/api.ts';

export type SignupDecision = { allowed: true; existing: boolean } | { allowed: false; reason: 'not_allowlisted' | 'signup_closed' };

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

export function allowlisted(config: ApiConfig, email: string): boolean {
  const { allowedEmails, allowedEmailDomains } = config.signup;
  if (allowedEmails.length === 0 && allowedEmailDomains.length === 0) return true;
  return allowedEmails.includes(email) || allowedEmailDomains.includes(emailDomain(email));
}

export async function signupDecision(db: Queryable, config: ApiConfig, email: string): Promise<SignupDecision> {
  const { rows } = await db.query<{ existing: boolean; invited: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1) AS existing,
            EXISTS (SELECT 1 FROM workspace_invitations WHERE email = $1 AND accepted_at IS NULL) AS invited`,
    [email],
  );
  const { existing, invited } = rows[0]!;
  if (existing) return { allowed: true, existing: true };
  if (!allowlisted(config, email)) return { allowed: false, reason: 'not_allowlisted' };
  if (config.signup.allowSignup || invited) return { allowed: true, existing: false };
  return { allowed: false, reason: 'signup_closed' };
}
