/**
 * Workspaces, members, invitations, issues, comments, attachments and live events: every
 * route under /api/v1/workspaces. One module per concern; this file wires the shared pieces
 * (the live-update hub with its one Redis subscriber per process, the event streams, storage)
 * and their shutdown.
 */
import type { FastifyInstance } from 'fastify';
import { EventHub } from '../../../events/hub.ts';
import { scheduleEventPruning } from '../../../events/retention.ts';
import { EventStreams, type EventStreamOptions } from '../../../events/stream.ts';
import { createRedis } from '../../../redis/client.ts';
import { AttachmentStorage } from '../../../storage/attachments.ts';
import type { ApiDependencies } from '../../server.ts';
import { registerAttachments } from './attachments.ts';
import { registerComments } from './comments.ts';
import type { WorkspaceContext } from './context.ts';
import { registerEvents } from './events.ts';
import { registerInvitations } from './invitations.ts';
import { registerIssues } from './issues.ts';
import { registerMembers } from './members.ts';
import { registerWorkspaces } from './workspaces.ts';

export { acceptPendingInvitations } from './access.ts';

export interface WorkspaceRouteOptions {
  readonly events?: EventStreamOptions;
}

export async function registerWorkspaceRoutes(app: FastifyInstance, deps: ApiDependencies, options: WorkspaceRouteOptions = {}): Promise<void> {
  const { config, pool, log } = deps;
  const subscriber = deps.redis && config.redis ? createRedis(config.redis, log, 'subscriber') : undefined;
  const hub = new EventHub({ log, publisher: deps.redis, subscriber });
  const streams = new EventStreams(hub, pool, log, options.events);
  const storage = new AttachmentStorage(config.attachments);
  const ctx: WorkspaceContext = { config, pool, log, hub, streams, storage };
  const pruning = scheduleEventPruning(pool, log);

  // Open streams would hold up a graceful close: end them first (clients resume elsewhere).
  app.addHook('preClose', async () => {
    streams.closeAll();
  });
  app.addHook('onClose', async () => {
    pruning.stop();
    await hub.close();
  });

  registerWorkspaces(app, ctx);
  registerMembers(app, ctx);
  registerInvitations(app, ctx);
  registerIssues(app, ctx);
  registerComments(app, ctx);
  registerAttachments(app, ctx);
  registerEvents(app, ctx);
}
