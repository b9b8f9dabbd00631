import type { FastifyInstance } from 'fastify';
import type { ApiDependencies } from '../../server.ts';

/** Workspaces, members, invitations, issues, comments, attachments and live events. */
export async function registerWorkspaceRoutes(_app: FastifyInstance, _deps: ApiDependencies): Promise<void> {}
