/** What the workspace route modules share: the pool, the live-update hub, storage. */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ApiConfig } from '../../../config/api.ts';
import type { EventHub } from '../../../events/hub.ts';
import type { EventStreams } from '../../../events/stream.ts';
import type { AttachmentStorage } from '../../../storage/attachments.ts';

export interface WorkspaceContext {
  readonly config: ApiConfig;
  readonly pool: pg.Pool;
  readonly log: Logger;
  readonly hub: EventHub;
  readonly streams: EventStreams;
  readonly storage: AttachmentStorage;
}

export type RouteModule = (app: FastifyInstance, ctx: WorkspaceContext) => void;
