/** Product routes under /api/v1: sign-in, accounts and tokens, then workspace data. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from '../schema.ts';
import type { ApiDependencies } from '../server.ts';
import { registerAuth } from './auth/index.ts';
import { registerOAuth } from './auth/oauth/index.ts';
import { registerCapabilities } from './capabilities.ts';
import { createOutgoingMail } from './mail.ts';
import { registerWorkspaceRoutes } from './workspaces/index.ts';

export async function registerV1(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  // One provider and one set of mail limits for sign-in links and invitations alike.
  const mail = createOutgoingMail(deps);
  // Authentication runs first: it sets request.user for every route registered after it.
  await registerAuth(app, deps, { email: mail.sender ?? null, limiter: mail.limiter, limits: mail.limits });
  registerOAuth(app.withTypeProvider<ZodTypeProvider>(), deps);
  registerCapabilities(app.withTypeProvider<ZodTypeProvider>(), deps, mail);
  await registerWorkspaceRoutes(app, deps, { mail });
}
