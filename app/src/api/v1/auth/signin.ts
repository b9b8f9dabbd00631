/**
 * Magic-link sign-in: request a link, open it (verify), sign out.
 *
 * Links and sessions are 32 random bytes; only their SHA-256 is stored, so a database leak
 * reveals nothing usable. A link works once and for 15 minutes; a session for 30 days.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { EMAIL_SETUP_HINT, EmailProviderError, signInEmail, signUpRefusedEmail, type EmailMessage, type EmailSender } from '../../../email/index.ts';
import type { RateLimiter, RateLimitRule } from '../../../ratelimit/index.ts';
import { isLoopbackHost } from '../../../config/listen.ts';
import { withTransaction } from '../../../db/connection-guard.ts';
import { HttpError } from '../../errors.ts';
import { ERROR_RESPONSES, noContent, type ApiInstance } from '../../schema.ts';
import type { ApiDependencies } from '../../server.ts';
import { hashToken } from '../context.ts';
import { userJson } from '../json.ts';
import { enforceMailLimits } from '../mail.ts';
import { clearSessionCookie, sessionCookieValues, setSessionCookie } from './cookies.ts';
import { emailDomain, signupDecision } from './signup.ts';

export const LINK_TTL_MINUTES = 15;
export const SESSION_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface SignInLimits {
  /** Sign-in requests per address: stops anyone from flooding one inbox. */
  readonly perEmail: RateLimitRule;
  /** Sign-in requests per client address: stops one client from mailing many inboxes. */
  readonly perIp: RateLimitRule;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perEmail: { limit: 5, windowSeconds: 15 * 60 },
  perIp: { limit: 30, windowSeconds: 15 * 60 },
};

export interface SignInOptions {
  readonly email?: EmailSender;
  readonly limiter: RateLimiter;
  readonly limits: SignInLimits;
}

const emailSchema = z.string().trim().toLowerCase().max(320, 'Too long: at most 320 characters').pipe(z.email('Enter a valid email address'));
const magicLinkBody = z.object({ email: emailSchema });
const verifyBody = z.object({ token: z.string().trim().min(1, 'Required').max(200, 'Too long') });

export const randomToken = () => randomBytes(32).toString('base64url');

export type PublicUser = z.output<typeof userJson>;

const linkSent = z.object({
  sent: z.literal(true),
  link: z.string().optional().describe('development without an email provider only: the sign-in link itself'),
});

const SIGN_IN_LIMIT_WORDING = { perIp: 'Too many sign-in requests from this address', perEmail: 'Too many sign-in requests for this email' };

export function registerSignIn(app: ApiInstance, deps: ApiDependencies, options: SignInOptions): void {
  const { config, pool, log } = deps;
  const production = config.environment === 'production';
  // Outside production, with no provider or the log provider, the link comes back in the
  // answer so a developer can sign in without a mail server. Never in production, and once
  // other machines can connect (a HOST wider than loopback) only to clients on this machine:
  // anyone on the network could otherwise sign in as anyone.
  const revealsLinks = !production && (!options.email || options.email.kind === 'log');
  const revealsLinkTo = (clientIp: string) => revealsLinks && (!config.listensBeyondLoopback || isLoopbackHost(clientIp));

  async function send(message: EmailMessage, token?: string): Promise<void> {
    if (!options.email) return;
    try {
      await options.email.send(message);
    } catch (error) {
      const reason = error instanceof EmailProviderError ? error.reason : (error as Error).message;
      // The provider's reason goes to the log (never the token); the client gets a plain 502.
      log.warn(
        { provider: options.email.kind, reason: token ? reason.split(token).join('[redacted]') : reason, domain: emailDomain(message.to) },
        'email provider failed to send sign-in email',
      );
      throw new HttpError(502, 'email_provider_failed', `The email provider (${options.email.kind}) could not send the sign-in email; try again in a minute`);
    }
  }

  const magicLinkSchema = { summary: 'Request a sign-in link by email', body: magicLinkBody, response: { 202: linkSent, ...ERROR_RESPONSES } };
  app.post('/api/v1/auth/magic-link', { schema: magicLinkSchema }, async (request, reply) => {
    const { email } = request.body;
    const revealLink = revealsLinkTo(request.ip);
    reply.header('cache-control', 'no-store');
    if (!options.email && production) {
      throw new HttpError(503, 'not_configured', `Sign-in email is not configured: ${EMAIL_SETUP_HINT}`);
    }

    await enforceMailLimits(options, request.ip, email, SIGN_IN_LIMIT_WORDING);

    const decision = await signupDecision(pool, config, email);
    if (!decision.allowed) {
      log.info({ reason: decision.reason, domain: emailDomain(email) }, 'sign-in refused by signup controls');
      // Account enumeration: whether an address may sign in depends on whether it has an
      // account or an invitation, so a refusal answers exactly like a success (202, the same
      // body, and the same email round trip: the address gets a short note instead of a
      // link). Only where the answer reveals the link anyway (development without a
      // provider) is the refusal spelled out, since nothing is hidden there.
      if (revealLink) {
        throw new HttpError(
          403,
          'signup_not_allowed',
          decision.reason === 'not_allowlisted'
            ? 'This address may not sign up here (ALLOWED_EMAILS / ALLOWED_EMAIL_DOMAINS)'
            : 'Sign-up is closed here (ALLOW_SIGNUP=false): ask a workspace admin to invite you',
        );
      }
      await send(signUpRefusedEmail(email, config.appUrl));
      return reply.code(202).send({ sent: true });
    }

    const token = randomToken();
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO magic_links (email, token_hash, expires_at, requested_ip)
       VALUES ($1, $2, now() + make_interval(mins => $3), $4) RETURNING id`,
      [email, hashToken(token), LINK_TTL_MINUTES, request.ip],
    );
    // Old links of this address are kept a day (so "already used" can be told apart from
    // "unknown"), then dropped.
    await pool.query(`DELETE FROM magic_links WHERE email = $1 AND expires_at < now() - interval '1 day'`, [email]);
    const link = `${config.appUrl}/auth/verify?token=${encodeURIComponent(token)}`;

    // The link is a credential: it goes in the answer or the email, never in the log.
    if (!options.email) {
      if (!revealLink) {
        log.warn(
          { ip: request.ip, domain: emailDomain(email) },
          'sign-in link not shown to a client on another machine: set EMAIL_PROVIDER to mail links, or sign in from this machine',
        );
        return reply.code(202).send({ sent: true });
      }
      log.info({ domain: emailDomain(email) }, 'no email provider configured: sign-in link returned in the response (development only)');
      return reply.code(202).send({ sent: true, link });
    }
    try {
      await send(signInEmail(email, link, config.appUrl, LINK_TTL_MINUTES), token);
    } catch (error) {
      await pool.query('DELETE FROM magic_links WHERE id = $1', [rows[0]!.id]);
      throw error;
    }
    return reply.code(202).send(revealLink ? { sent: true, link } : { sent: true });
  });

  const verifySchema = { summary: 'Open a sign-in link: sets the session cookie', body: verifyBody, response: { 200: z.object({ user: userJson }), ...ERROR_RESPONSES } };
  app.post('/api/v1/auth/verify', { schema: verifySchema }, async (request, reply) => {
    const { token } = request.body;
    const tokenHash = hashToken(token);
    // One connection for the whole exchange: every query below runs on `client` (asking the
    // pool for a second one while holding it would deadlock a small pool).
    const outcome = await withTransaction(pool, async (client): Promise<{ refused: HttpError } | { user: PublicUser; sessionToken: string }> => {
      const consumed = await client.query<{ email: string }>(
        `UPDATE magic_links SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING email`,
        [tokenHash],
      );
      const email = consumed.rows[0]?.email;
      if (!email) {
        const { rows } = await client.query<{ used: boolean }>('SELECT used_at IS NOT NULL AS used FROM magic_links WHERE token_hash = $1', [tokenHash]);
        const why = !rows[0] ? 'is not valid' : rows[0].used ? 'has already been used' : 'has expired';
        return { refused: new HttpError(400, 'invalid_link', `This sign-in link ${why}; request a new one`) };
      }
      // The signup controls may have changed since the link was sent: check them again. The
      // link stays used (the transaction commits) so it cannot be retried.
      const decision = await signupDecision(client, config, email);
      if (!decision.allowed) {
        return { refused: new HttpError(403, 'signup_not_allowed', 'This address may not sign up here; ask a workspace admin to invite you') };
      }
      const created = await client.query<PublicUser>(
        `INSERT INTO users (email) VALUES ($1)
         ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email
         RETURNING id, email, name`,
        [email],
      );
      const user = created.rows[0]!;
      await client.query(
        `WITH accepted AS (
           UPDATE workspace_invitations SET accepted_at = now()
            WHERE email = $1 AND accepted_at IS NULL
           RETURNING workspace_id, role
         )
         INSERT INTO workspace_members (workspace_id, user_id, role)
         SELECT workspace_id, $2, role FROM accepted
         ON CONFLICT (workspace_id, user_id) DO NOTHING`,
        [email, user.id],
      );
      const sessionToken = randomToken();
      const userAgent = request.headers['user-agent'];
      await client.query(
        `INSERT INTO sessions (user_id, token_hash, expires_at, user_agent, ip)
         VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5)`,
        [user.id, hashToken(sessionToken), SESSION_TTL_SECONDS, typeof userAgent === 'string' ? userAgent.slice(0, 500) : null, request.ip],
      );
      return { user, sessionToken };
    });
    if ('refused' in outcome) throw outcome.refused;
    const { user, sessionToken } = outcome;
    setSessionCookie(reply, config, sessionToken, SESSION_TTL_SECONDS);
    reply.header('cache-control', 'no-store');
    return { user: { id: user.id, email: user.email, name: user.name } };
  });

  app.post('/api/v1/auth/signout', { schema: { summary: 'Sign out: revokes the session', response: { 204: noContent, ...ERROR_RESPONSES } } }, async (request, reply) => {
    if (request.user?.sessionId) {
      await pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [request.user.sessionId]);
    } else {
      // An expired or unknown cookie: still make sure it is revoked if it exists.
      const tokens = sessionCookieValues(request);
      if (tokens.length > 0) {
        await pool.query('UPDATE sessions SET revoked_at = now() WHERE token_hash = ANY($1::text[]) AND revoked_at IS NULL', [tokens.map(hashToken)]);
      }
    }
    clearSessionCookie(reply, config);
    return reply.code(204).send();
  });
}
