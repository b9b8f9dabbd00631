/**
 * Mail the API sends for people (sign-in links, invitations): one provider chosen from the
 * settings, one rate limiter, and one budget. Every message to an address counts against the
 * same per-address limit, and every message a client causes against the same per-client
 * limit, whatever kind of mail it is, so inviting cannot flood an inbox that sign-in could not.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { createEmailSender, type EmailSender } from '../../email/index.ts';
import { isLoopbackHost } from '../../config/listen.ts';
import { createRateLimiter, type RateLimiter } from '../../ratelimit/index.ts';
import { HttpError } from '../errors.ts';
import type { ApiDependencies } from '../server.ts';
import { DEFAULT_SIGN_IN_LIMITS, type SignInLimits } from './auth/signin.ts';

export interface OutgoingMail {
  /** Undefined when no provider is configured. */
  readonly sender?: EmailSender;
  readonly limiter: RateLimiter;
  readonly limits: SignInLimits;
}

export function createOutgoingMail(deps: ApiDependencies): OutgoingMail {
  return {
    sender: createEmailSender(deps.config.email, { log: deps.log }),
    limiter: createRateLimiter({ redis: deps.redis, log: deps.log }),
    limits: DEFAULT_SIGN_IN_LIMITS,
  };
}

/** What a refusal says, per limit: "Too many sign-in requests from this address". */
export interface LimitWording {
  readonly perIp: string;
  readonly perEmail: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 32);

/**
 * Counts one message to `email` caused by `ip` and throws 429 (with Retry-After) past either
 * limit. The keys keep their original names; addresses are stored as a digest only.
 */
export async function enforceMailLimits(mail: Pick<OutgoingMail, 'limiter' | 'limits'>, ip: string, email: string, wording: LimitWording): Promise<void> {
  const perIp = await mail.limiter.hit(`signin:ip:${ip}`, mail.limits.perIp);
  if (!perIp.allowed) throw rateLimited(perIp.retryAfterSeconds, wording.perIp);
  const perEmail = await mail.limiter.hit(`signin:email:${digest(email)}`, mail.limits.perEmail);
  if (!perEmail.allowed) throw rateLimited(perEmail.retryAfterSeconds, wording.perEmail);
}

function rateLimited(retryAfterSeconds: number, what: string): HttpError {
  return new HttpError(429, 'rate_limited', `${what}; try again in ${retryAfterSeconds} s`, undefined, { 'retry-after': String(retryAfterSeconds) });
}

/**
 * Whether an answer may carry a link instead of mailing it: never in production, only without
 * a real provider, and only to a client on this machine (someone else on the network must not
 * be handed a link meant for another person's inbox).
 */
export function mayRevealLink(deps: Pick<ApiDependencies, 'config'>, sender: EmailSender | undefined, request: FastifyRequest): boolean {
  if (deps.config.environment === 'production') return false;
  if (sender && sender.kind !== 'log') return false;
  return isLoopbackHost(request.ip);
}
