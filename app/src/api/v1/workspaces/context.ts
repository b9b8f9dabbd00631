/** What the workspace route modules share: the pool, the live-update hub, storage, mail, and the resolved access. */
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ApiConfig } from '../../../config/api.ts';
import type { EventHub } from '../../../events/hub.ts';
import type { EventStreams } from '../../../events/stream.ts';
import type { AttachmentStorage } from '../../../storage/attachments.ts';
import type { ApiInstance } from '../../schema.ts';
import type { OutgoingMail } from '../mail.ts';
import type { WorkspaceAccess } from './access.ts';

export interface WorkspaceContext {
  readonly config: ApiConfig;
  readonly pool: pg.Pool;
  readonly log: Logger;
  readonly hub: EventHub;
  readonly streams: EventStreams;
  readonly storage: AttachmentStorage;
  /** The email provider and mail limits, shared with sign-in. */
  readonly mail: OutgoingMail;
}

/** One resource's routes, registered in its own encapsulated plugin. */
export type RouteModule = (app: ApiInstance, ctx: WorkspaceContext) => void;

declare module 'fastify' {
  interface FastifyRequest {
    /** The workspace of a route under /api/v1/workspaces/:slug, as the signed-in user sees it. */
    workspace?: WorkspaceAccess;
  }
}

/** The access the workspace pre-handler resolved; only called in routes under the workspace scope. */
export function workspaceOf(request: FastifyRequest): WorkspaceAccess {
  if (!request.workspace) throw new Error(`${request.routeOptions.url} is not registered in the workspace scope`);
  return request.workspace;
}
