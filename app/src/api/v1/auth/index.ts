/**
 * Sign-in, sessions, the signed-in user, personal access tokens, and the authentication hook
 * that every /api/v1 route relies on (`requireUser(request)`).
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { FastifyInstance } from 'fastify';
import type { Transporter } from 'nodemailer';
import { createEmailSender, type EmailSender } from '../../../email/index.ts';
import { createRateLimiter, type RateLimiter } from '../../../ratelimit/index.ts';
import type { ZodTypeProvider } from '../../schema.ts';
import type { ApiDependencies } from '../../server.ts';
import { signedIn } from '../context.ts';
import { registerAuthHook } from './hook.ts';
import { registerMe } from './me.ts';
import { DEFAULT_SIGN_IN_LIMITS, registerSignIn, type SignInLimits } from './signin.ts';
import { registerTokens } from './tokens.ts';

export interface AuthOptions {
  /** Replaces the provider chosen from the settings (null: none configured). */
  readonly email?: EmailSender | null;
  readonly sesClient?: SESv2Client;
  readonly smtpTransport?: Transporter;
  readonly limiter?: RateLimiter;
  readonly limits?: Partial<SignInLimits>;
}

/**
 * Registered directly on the root instance (not in an encapsulated plugin), so the hook
 * applies to every route, including those registered later by other modules.
 */
export async function registerAuth(app: FastifyInstance, deps: ApiDependencies, options: AuthOptions = {}): Promise<void> {
  const email =
    options.email === null
      ? undefined
      : (options.email ?? createEmailSender(deps.config.email, { log: deps.log, sesClient: options.sesClient, smtpTransport: options.smtpTransport }));
  const limiter = options.limiter ?? createRateLimiter({ redis: deps.redis, log: deps.log });
  registerAuthHook(app, deps);
  const routes = app.withTypeProvider<ZodTypeProvider>();
  registerSignIn(routes, deps, { email, limiter, limits: { ...DEFAULT_SIGN_IN_LIMITS, ...options.limits } });
  await app.register(async (account) => {
    account.addHook('preValidation', signedIn);
    const accountRoutes = account.withTypeProvider<ZodTypeProvider>();
    registerMe(accountRoutes, deps);
    registerTokens(accountRoutes, deps);
  });
}
