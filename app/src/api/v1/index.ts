/** Product routes under /api/v1: sign-in, accounts and tokens, then workspace data. */
import type { FastifyInstance } from 'fastify';
import type { ApiDependencies } from '../server.ts';
import { registerAuth } from './auth/index.ts';
import { registerWorkspaceRoutes } from './workspaces/index.ts';

export async function registerV1(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  // Authentication runs first: it sets request.user for every route registered after it.
  await registerAuth(app, deps);
  await registerWorkspaceRoutes(app, deps);
}
