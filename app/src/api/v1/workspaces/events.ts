/**
 * `GET /api/v1/workspaces/:slug/events`: the live-update stream for members of the workspace.
 * The route is left out of request metrics and access logs (`telemetry: false`): a stream is
 * open for minutes or hours and would distort latency percentiles; it logs its own open and
 * close lines instead.
 */
import { z } from 'zod';
import { parseInput } from '../../errors.ts';
import { parseLastEventId } from '../../../events/stream.ts';
import { requireUser } from '../context.ts';
import { resolveWorkspace } from './access.ts';
import type { RouteModule } from './context.ts';
import { slugParams } from './schemas.ts';

/** EventSource polyfills that cannot set headers pass the id in the query instead. */
const eventsQuery = z.object({ lastEventId: z.unknown().optional() });

export const registerEvents: RouteModule = (app, ctx) => {
  app.get(
    '/api/v1/workspaces/:slug/events',
    { config: { telemetry: false }, exposeHeadRoute: false },
    async (request, reply) => {
      const user = requireUser(request);
      const { slug } = parseInput(slugParams, request.params, 'params');
      const query = parseInput(eventsQuery, request.query, 'query');
      const access = await resolveWorkspace(ctx.pool, slug, user);
      const lastEventId = parseLastEventId(request.headers['last-event-id']) ?? parseLastEventId(query.lastEventId);
      await ctx.streams.serve(request, reply, { workspaceId: access.id, slug: access.slug, userId: user.id, lastEventId });
    },
  );
};
