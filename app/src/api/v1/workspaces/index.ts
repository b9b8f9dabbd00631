/**
 * Workspaces, members, invitations, issues, comments, attachments and live events: every
 * route under /api/v1/workspaces. One encapsulated plugin per resource, all inside the
 * workspace scope (`/api/v1/workspaces/:slug`), whose hooks sign the request in and resolve the
 * workspace once: handlers read `workspaceOf(request)`. This file also wires the shared pieces
 * (the live-update hub with its one Redis subscriber per process, the event streams, storage)
 * and their shutdown.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiInstance } from '../../schema.ts';
import { requireUser, signedIn } from '../context.ts';
import { accessOf } from './access.ts';
import { EventHub } from '../../../events/hub.ts';
import { scheduleEventPruning } from '../../../events/retention.ts';
import { EventStreams, type EventStreamOptions } from '../../../events/stream.ts';
import { createRedis } from '../../../redis/client.ts';
import { AttachmentStorage } from '../../../storage/attachments.ts';
import type { ApiDependencies } from '../../server.ts';
import { createOutgoingMail, type OutgoingMail } from '../mail.ts';
import { registerAttachments } from './attachments.ts';
import { registerComments } from './comments.ts';
import type { RouteModule, WorkspaceContext } from './context.ts';
import { registerEvents } from './events.ts';
import { registerInvitations } from './invitations.ts';
import { registerIssues } from './issues.ts';
import { registerMembers } from './members.ts';
import { registerWorkspace, registerWorkspaceCollection } from './workspaces.ts';

export { acceptPendingInvitations } from './access.ts';

export interface WorkspaceRouteOptions {
  readonly events?: EventStreamOptions;
  /** The email provider and limits sign-in uses (default: built from the settings). */
  readonly mail?: OutgoingMail;
}

export async function registerWorkspaceRoutes(app: FastifyInstance, deps: ApiDependencies, options: WorkspaceRouteOptions = {}): Promise<void> {
  const { config, pool, log } = deps;
  const subscriber = deps.redis && config.redis ? createRedis(config.redis, log, 'subscriber') : undefined;
  const hub = new EventHub({ log, publisher: deps.redis, subscriber });
  const streams = new EventStreams(hub, pool, log, options.events);
  const storage = new AttachmentStorage(config.attachments);
  const ctx: WorkspaceContext = { config, pool, log, hub, streams, storage, mail: options.mail ?? createOutgoingMail(deps) };
  const pruning = scheduleEventPruning(pool, log);

  // Open streams would hold up a graceful close: end them first (clients resume elsewhere).
  app.addHook('preClose', async () => {
    streams.closeAll();
  });
  app.addHook('onClose', async () => {
    pruning.stop();
    await hub.close();
  });

  await app.register(
    async (collection) => {
      collection.addHook('preValidation', signedIn);
      registerWorkspaceCollection(collection as ApiInstance, ctx);
    },
    { prefix: '/api/v1/workspaces' },
  );
  await app.register(
    async (scope) => {
      // Authentication (the root hook) reads the membership with the credential on these routes.
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, workspaceScoped: true };
      });
      scope.addHook('preValidation', signedIn);
      // After validation, so a malformed slug is a 400 and an unknown one a 404.
      scope.addHook('preHandler', async (request) => {
        const { slug } = request.params as { slug: string };
        request.workspace = await accessOf(pool, slug, requireUser(request), request.membership);
      });
      const resources: RouteModule[] = [registerWorkspace, registerMembers, registerInvitations, registerIssues, registerComments, registerAttachments, registerEvents];
      for (const resource of resources) {
        await scope.register(async (child) => resource(child as ApiInstance, ctx));
      }
    },
    { prefix: '/api/v1/workspaces/:slug' },
  );
}
