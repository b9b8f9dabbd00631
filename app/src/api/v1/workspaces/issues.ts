/**
 * `/api/v1/workspaces/:slug/issues`: list (newest first, filtered, searched, keyset pages),
 * create, read by `42` or `ENG-42`, edit, close/reopen, delete (author or admin).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CompanionRead } from '../auth/credentials.ts';
import { forbidden } from '../../errors.ts';
import { ERROR_RESPONSES, noContent } from '../../schema.ts';
import { issueJson, issuePageJson, type IssuePageJson, PRIORITIES, STATUSES } from '../json.ts';
import { isAdmin } from './access.ts';
import { workspaceOf, type RouteModule } from './context.ts';
import { transaction } from './db.ts';
import {
  createIssue,
  decodeCursor,
  deleteIssue,
  encodeCursor,
  invalid,
  isMember,
  listIssues,
  ME,
  pageJsonBody,
  pageWithCredential,
  requireIssue,
  toIssueJson,
  updateIssue,
  type IssueFilters,
  type PageJsonRow,
} from './issue-queries.ts';
import { content, id, issueParams, slugParams, text } from './schemas.ts';

const description = content(100_000, { allowBlank: true }).nullable();
const status = z.enum(STATUSES, 'must be one of open, in_progress, closed');
const priority = z.enum(PRIORITIES, 'must be one of none, low, medium, high, urgent');

const createBody = z.object({
  title: text(1, 300),
  description: description.optional(),
  status: status.optional(),
  priority: priority.optional(),
  assigneeId: id.nullable().optional(),
});

const FIELDS = ['title', 'description', 'status', 'priority', 'assigneeId'] as const;
const updateBody = z
  .object({
    title: text(1, 300).optional(),
    description: description.optional(),
    status: status.optional(),
    priority: priority.optional(),
    assigneeId: id.nullable().optional(),
  })
  .refine((body) => FIELDS.some((field) => body[field] !== undefined), `send at least one of ${FIELDS.join(', ')}`);

/** Repeated query keys (`?status=open&status=closed`) count as one comma list. */
const joined = (value: unknown) => (Array.isArray(value) ? value.join(',') : value);

const listQuery = z.object({
  status: z
    .preprocess(
      joined,
      z
        .string()
        .max(200, 'must be at most 200 characters')
        .transform((s) => [...new Set(s.split(',').map((part) => part.trim()).filter(Boolean))])
        .pipe(z.array(status).min(1, 'name at least one status')),
    )
    .optional()
    .describe('comma-separated statuses'),
  assignee: z
    .string()
    .trim()
    .refine((v) => v === 'me' || v === 'none' || id.safeParse(v).success, 'must be a member\'s user id, "me" or "none"')
    .optional()
    .describe('a member\'s user id, "me" or "none"'),
  q: text(0, 200).optional().describe('title words, or an issue key (ENG-2) or number'),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(100, 'must be at most 100'))
    .optional()
    .describe('1-100, default 50'),
  cursor: z.string().max(200, 'is not a cursor from this API').optional().describe('nextCursor of the previous page'),
});

const issueAnswer = z.object({ issue: issueJson });

type ListQuery = z.output<typeof listQuery>;

/** The filters of a list query (a named assignee is checked to be a member by the route first). */
const filtersOf = (query: ListQuery, assigneeId: IssueFilters['assigneeId']): IssueFilters => ({
  statuses: query.status,
  assigneeId,
  q: query.q || undefined,
  limit: query.limit ?? 50,
  before: query.cursor ? decodeCursor(query.cursor) : undefined,
});

const assigneeShorthand = (assignee: string | undefined): IssueFilters['assigneeId'] => (assignee === 'me' ? ME : assignee === 'none' ? null : undefined);

/**
 * The page read in the statement that authenticates, for a query that needs nothing else
 * first. A named assignee must be checked to be a member (a 400 otherwise), input that does
 * not validate gets its 400 from validation, and a search is planned for its term (see
 * pageWithCredential): those read as usual.
 */
function pageWithTheCredential(request: FastifyRequest): CompanionRead | undefined {
  const parsed = listQuery.safeParse(request.query ?? {});
  if (!parsed.success) return undefined;
  const query = parsed.data;
  if (query.q) return undefined;
  if (query.assignee !== undefined && assigneeShorthand(query.assignee) === undefined) return undefined;
  let filters: IssueFilters;
  try {
    filters = filtersOf(query, assigneeShorthand(query.assignee));
  } catch {
    return undefined; // a cursor from elsewhere: the route answers its 400
  }
  return pageWithCredential(filters);
}

export const registerIssues: RouteModule = (app, ctx) => {
  const listSchema = { summary: 'List issues, newest first', params: slugParams, querystring: listQuery, response: { 200: issuePageJson, ...ERROR_RESPONSES } };
  app.get('/issues', { schema: listSchema, config: { companionRead: pageWithTheCredential } }, async (request, reply) => {
    const access = workspaceOf(request);
    // Authentication read the page with the credential when it could (a member, a plain query),
    // written as JSON by PostgreSQL: it goes out as it is (a string with a JSON content type
    // skips the serializer), in the form the serializer gives the other path.
    const page = request.companionRows?.[0] as PageJsonRow | undefined;
    // (The type provider types the body as the schema's object; this one is already its JSON.)
    if (page) return reply.type('application/json; charset=utf-8').send(pageJsonBody(page) as unknown as IssuePageJson);
    const { query } = request;
    let assigneeId = assigneeShorthand(query.assignee);
    if (query.assignee !== undefined && assigneeId === undefined) {
      if (!(await isMember(ctx.pool, access.id, query.assignee))) throw invalid('assignee', 'is not a member of this workspace');
      assigneeId = query.assignee;
    }
    const { rows, more } = await listIssues(ctx.pool, access, filtersOf(query, assigneeId));
    const last = rows[rows.length - 1];
    return {
      issues: rows.map((row) => toIssueJson(row, access.issueKey)),
      nextCursor: more && last ? encodeCursor(last.number) : null,
    };
  });

  app.post('/issues', { schema: { summary: 'Create an issue', params: slugParams, body: createBody, response: { 201: issueAnswer, ...ERROR_RESPONSES } } }, async (request, reply) => {
    const access = workspaceOf(request);
    const issue = await transaction(ctx.pool, ctx.hub, async (tx) => toIssueJson(await createIssue(tx, access, request.body), access.issueKey));
    return reply.code(201).send({ issue });
  });

  app.get('/issues/:ref', { schema: { summary: 'Read an issue (42 or ENG-42)', params: issueParams, response: { 200: issueAnswer, ...ERROR_RESPONSES } } }, async (request) => {
    const access = workspaceOf(request);
    return { issue: toIssueJson(await requireIssue(ctx.pool, access, request.params.ref), access.issueKey) };
  });

  app.patch('/issues/:ref', { schema: { summary: 'Edit an issue', params: issueParams, body: updateBody, response: { 200: issueAnswer, ...ERROR_RESPONSES } } }, async (request) => {
    const access = workspaceOf(request);
    const issue = await transaction(ctx.pool, ctx.hub, async (tx) => toIssueJson(await updateIssue(tx, access, request.params.ref, request.body), access.issueKey));
    return { issue };
  });

  for (const [action, next] of [
    ['close', 'closed'],
    ['reopen', 'open'],
  ] as const) {
    app.post(`/issues/:ref/${action}`, { schema: { summary: `${action === 'close' ? 'Close' : 'Reopen'} an issue`, params: issueParams, response: { 200: issueAnswer, ...ERROR_RESPONSES } } }, async (request) => {
      const access = workspaceOf(request);
      const { ref } = request.params;
      const issue = await transaction(ctx.pool, ctx.hub, async (tx) => {
        const current = await requireIssue(tx.client, access, ref, { lock: true });
        // Reopening an issue that is merely in progress leaves it as it is.
        if (next === 'open' && current.status !== 'closed') return toIssueJson(current, access.issueKey);
        return toIssueJson(await updateIssue(tx, access, ref, { status: next }), access.issueKey);
      });
      return { issue };
    });
  }

  app.delete('/issues/:ref', { schema: { summary: 'Delete an issue (author or admin)', params: issueParams, response: { 204: noContent, ...ERROR_RESPONSES } } }, async (request, reply) => {
    const access = workspaceOf(request);
    await transaction(ctx.pool, ctx.hub, async (tx) => {
      const issue = await requireIssue(tx.client, access, request.params.ref, { lock: true });
      if (issue.author_id !== access.userId && !isAdmin(access)) throw forbidden('Only the issue\'s author or a workspace admin can delete it');
      await deleteIssue(tx, access, issue);
    });
    return reply.code(204).send();
  });
};
