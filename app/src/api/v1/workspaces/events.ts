/**
 * `GET /api/v1/workspaces/:slug/events`: the live-update stream for members of the workspace.
 * The route is left out of request metrics and access logs (`telemetry: false`): a stream is
 * open for minutes or hours and would distort latency percentiles; it logs its own open and
 * close lines instead.
 */
import { z } from 'zod';
import { parseLastEventId } from '../../../events/stream.ts';
import { workspaceOf, type RouteModule } from './context.ts';
import { slugParams } from './schemas.ts';

/** EventSource polyfills that cannot set headers pass the id in the query instead. */
const eventsQuery = z.object({ lastEventId: z.unknown().optional().describe('instead of the Last-Event-ID header') });

export const registerEvents: RouteModule = (app, ctx) => {
  app.get(
    '/events',
    {
      config: { telemetry: false },
      exposeHeadRoute: false,
      schema: { summary: 'Live updates (text/event-stream); resumes after Last-Event-ID', params: slugParams, querystring: eventsQuery },
    },
    async (request, reply) => {
      const access = workspaceOf(request);
      const lastEventId = parseLastEventId(request.headers['last-event-id']) ?? parseLastEventId(request.query.lastEventId);
      await ctx.streams.serve(request, reply, { workspaceId: access.id, slug: access.slug, userId: access.userId, lastEventId });
    },
  );
};
