/**
 * An OAuth identity becomes a session here. Accounts are linked by verified email only: the
 * provider's verified address is the account's address, so signing in with GitHub, Google or
 * an email link as ada@example.com is one and the same account, and an address the provider
 * has not verified never signs anyone in. New accounts pass the same signup controls as email
 * links (allowlists, ALLOW_SIGNUP, invitations), and pending invitations are accepted.
 *
 * One pool connection, one transaction, nothing else taken from the pool meanwhile.
 */
import { withTransaction } from '../../../../db/connection-guard.ts';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { ApiConfig } from '../../../../config/api.ts';
import { hashToken } from '../../context.ts';
import type { UserJson } from '../../json.ts';
import { acceptPendingInvitations } from '../../workspaces/access.ts';
import { randomToken, SESSION_TTL_SECONDS } from '../signin.ts';
import { signupDecision, type SignupDecision } from '../signup.ts';

export type AccountOutcome =
  | { readonly signedIn: true; readonly user: UserJson; readonly sessionToken: string; readonly created: boolean }
  | { readonly signedIn: false; readonly reason: Extract<SignupDecision, { allowed: false }>['reason'] };

export async function signInWithVerifiedEmail(
  pool: pg.Pool,
  config: ApiConfig,
  identity: { readonly email: string; readonly name: string },
  request: FastifyRequest,
): Promise<AccountOutcome> {
  return withTransaction(pool, async (client): Promise<AccountOutcome> => {
    const decision = await signupDecision(client, config, identity.email);
    if (!decision.allowed) {
      return { signedIn: false, reason: decision.reason };
    }
    // An existing account keeps its name; a new one starts with the provider's display name.
    const { rows } = await client.query<UserJson & { created: boolean }>(
      `INSERT INTO users (email, name) VALUES ($1, $2)
       ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email
       RETURNING id, email, name, (xmax = 0) AS created`,
      [identity.email, identity.name],
    );
    const { created, ...user } = rows[0]!;
    await acceptPendingInvitations(client, user);
    const sessionToken = randomToken();
    const userAgent = request.headers['user-agent'];
    await client.query(
      `INSERT INTO sessions (user_id, token_hash, expires_at, user_agent, ip)
       VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5)`,
      [user.id, hashToken(sessionToken), SESSION_TTL_SECONDS, typeof userAgent === 'string' ? userAgent.slice(0, 500) : null, request.ip],
    );
    return { signedIn: true, user, sessionToken, created };
  });
}
