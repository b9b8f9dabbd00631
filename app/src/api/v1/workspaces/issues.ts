/**
 * Issues: sequential numbers per workspace (taken under the workspace row lock in the insert
 * transaction, so concurrent creates never share one), lookup by `42` or `ENG-42`, keyset
 * pagination newest first, filters, close/reopen, delete (author or admin). Each change
 * appends its live-update event in the same transaction.
 */
import { z } from 'zod';
import { HttpError, forbidden, notFound, parseInput } from '../../errors.ts';
import { requireUser, type AuthUser } from '../context.ts';
import { isAdmin, resolveWorkspace, type WorkspaceAccess } from './access.ts';
import type { RouteModule } from './context.ts';
import { transaction, type Db, type Tx } from './db.ts';
import { MAX_INT, PRIORITIES, STATUSES, content, id, iso, issueParams, refNumber, slugParams, text, type IssueStatus, type Priority } from './schemas.ts';

export interface IssueJson {
  id: string;
  number: number;
  key: string;
  title: string;
  description: string;
  status: IssueStatus;
  priority: Priority;
  assigneeId: string | null;
  authorId: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface IssueRow {
  id: string;
  number: number;
  title: string;
  description: string;
  status: IssueStatus;
  priority: Priority;
  assignee_id: string | null;
  author_id: string | null;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
}

export const ISSUE_COLUMNS =
  'i.id, i.number, i.title, i.description, i.status, i.priority, i.assignee_id, i.author_id, i.created_at, i.updated_at, i.closed_at';

export const issueJson = (row: IssueRow, issueKey: string): IssueJson => ({
  id: row.id,
  number: row.number,
  key: `${issueKey}-${row.number}`,
  title: row.title,
  description: row.description,
  status: row.status,
  priority: row.priority,
  assigneeId: row.assignee_id,
  authorId: row.author_id,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  closedAt: iso(row.closed_at),
});

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

type IssuePatch = Partial<{ title: string; description: string | null; status: IssueStatus; priority: Priority; assigneeId: string | null }>;

/** Repeated query keys (`?status=open&status=closed`) count as one comma list. */
const joined = (value: unknown) => (Array.isArray(value) ? value.join(',') : value);

const listQuery = z.object({
  status: z.preprocess(
    joined,
    z
      .string()
      .max(200, 'must be at most 200 characters')
      .transform((s) => [...new Set(s.split(',').map((part) => part.trim()).filter(Boolean))])
      .pipe(z.array(status).min(1, 'name at least one status')),
  ).optional(),
  assignee: z
    .string()
    .trim()
    .refine((v) => v === 'me' || v === 'none' || id.safeParse(v).success, 'must be a member\'s user id, "me" or "none"')
    .optional(),
  q: text(0, 200).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(100, 'must be at most 100'))
    .optional(),
  cursor: z.string().max(200, 'is not a cursor from this API').optional(),
});

export interface IssueFilters {
  statuses?: IssueStatus[];
  /** A user id, or null for unassigned. */
  assigneeId?: string | null;
  q?: string;
  limit: number;
  /** Only issues numbered below this (keyset pagination). */
  before?: number;
}

const invalid = (path: string, message: string) => new HttpError(400, 'validation_failed', `${path}: ${message}`, [{ path, message }]);

export function encodeCursor(number: number): string {
  return Buffer.from(JSON.stringify({ n: number })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw new Error('not base64url');
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { n?: unknown };
    const n = parsed?.n;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_INT) return n;
  } catch {
    // fall through
  }
  throw invalid('cursor', 'is not a cursor from this API (pass nextCursor back unchanged)');
}

/** `%`, `_` and `\` match themselves in the ILIKE pattern. */
export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function isMember(db: Db, workspaceId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM workspace_members WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
  return (rowCount ?? 0) > 0;
}

export async function listIssues(db: Db, access: WorkspaceAccess, filters: IssueFilters): Promise<{ rows: IssueRow[]; more: boolean }> {
  const values: unknown[] = [access.id, access.userId];
  const where = ['i.workspace_id = $1'];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filters.statuses) where.push(`i.status = ANY(${param(filters.statuses)}::text[])`);
  if (filters.assigneeId === null) where.push('i.assignee_id IS NULL');
  else if (filters.assigneeId !== undefined) where.push(`i.assignee_id = ${param(filters.assigneeId)}`);
  if (filters.q) where.push(`i.title ILIKE ${param(likePattern(filters.q))}`);
  if (filters.before !== undefined) where.push(`i.number < ${param(filters.before)}`);
  const { rows } = await db.query<IssueRow>(
    `SELECT ${ISSUE_COLUMNS} FROM issues i
       JOIN workspace_members me ON me.workspace_id = i.workspace_id AND me.user_id = $2
      WHERE ${where.join(' AND ')}
      ORDER BY i.number DESC LIMIT ${param(filters.limit + 1)}`,
    values,
  );
  return { rows: rows.slice(0, filters.limit), more: rows.length > filters.limit };
}

export async function findIssue(db: Db, access: WorkspaceAccess, number: number, options: { lock?: boolean } = {}): Promise<IssueRow | undefined> {
  const { rows } = await db.query<IssueRow>(
    `SELECT ${ISSUE_COLUMNS} FROM issues i
       JOIN workspace_members me ON me.workspace_id = i.workspace_id AND me.user_id = $3
      WHERE i.workspace_id = $1 AND i.number = $2${options.lock ? ' FOR UPDATE OF i' : ''}`,
    [access.id, number, access.userId],
  );
  return rows[0];
}

/** The issue named by `ref` in this workspace, or 404. */
export async function requireIssue(db: Db, access: WorkspaceAccess, ref: string, options: { lock?: boolean } = {}): Promise<IssueRow> {
  const number = refNumber(ref, access.issueKey);
  const row = number === undefined ? undefined : await findIssue(db, access, number, options);
  if (!row) throw notFound(`No issue ${ref} in this workspace`);
  return row;
}

async function checkAssignee(db: Db, access: WorkspaceAccess, assigneeId: string | null | undefined): Promise<void> {
  if (assigneeId && !(await isMember(db, access.id, assigneeId))) throw invalid('assigneeId', 'is not a member of this workspace');
}

export async function createIssue(tx: Tx, access: WorkspaceAccess, user: AuthUser, input: z.output<typeof createBody>): Promise<IssueRow> {
  await checkAssignee(tx.client, access, input.assigneeId);
  // The row lock on the workspace serializes concurrent creates: each gets the next number.
  const taken = await tx.client.query<{ number: number }>(
    'UPDATE workspaces SET next_issue_number = next_issue_number + 1 WHERE id = $1 RETURNING next_issue_number - 1 AS number',
    [access.id],
  );
  const number = taken.rows[0]!.number;
  const state = input.status ?? 'open';
  const { rows } = await tx.client.query<IssueRow>(
    `INSERT INTO issues AS i (workspace_id, number, title, description, status, priority, assignee_id, author_id, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $5 = 'closed' THEN now() END)
     RETURNING ${ISSUE_COLUMNS}`,
    [access.id, number, input.title, input.description ?? '', state, input.priority ?? 'none', input.assigneeId ?? null, user.id],
  );
  const issue = rows[0]!;
  await tx.emit(access.id, 'issue.created', { issue: issueJson(issue, access.issueKey) });
  return issue;
}

/** Applies the changes that differ from the stored issue; no change, no event. */
export async function updateIssue(tx: Tx, access: WorkspaceAccess, ref: string, patch: IssuePatch): Promise<IssueRow> {
  const current = await requireIssue(tx.client, access, ref, { lock: true });
  const columns: Record<keyof IssuePatch, { column: string; value: unknown; now: unknown }> = {
    title: { column: 'title', value: patch.title, now: current.title },
    description: { column: 'description', value: patch.description === null ? '' : patch.description, now: current.description },
    status: { column: 'status', value: patch.status, now: current.status },
    priority: { column: 'priority', value: patch.priority, now: current.priority },
    assigneeId: { column: 'assignee_id', value: patch.assigneeId, now: current.assignee_id },
  };
  const changed = (Object.keys(columns) as (keyof IssuePatch)[]).filter((k) => columns[k].value !== undefined && columns[k].value !== columns[k].now);
  if (changed.length === 0) return current;
  if (changed.includes('assigneeId')) await checkAssignee(tx.client, access, patch.assigneeId);
  const values: unknown[] = [current.id, access.id, access.userId];
  const sets = changed.map((k) => {
    values.push(columns[k].value);
    return `${columns[k].column} = $${values.length}`;
  });
  if (changed.includes('status')) {
    // closed_at follows the status: set when it closes, cleared when it reopens.
    values.push(patch.status);
    sets.push(`closed_at = CASE WHEN $${values.length}::text = 'closed' THEN coalesce(i.closed_at, now()) END`);
  }
  const { rows } = await tx.client.query<IssueRow>(
    `UPDATE issues i SET ${sets.join(', ')}, updated_at = now()
      WHERE i.id = $1 AND i.workspace_id = $2
        AND EXISTS (SELECT 1 FROM workspace_members me WHERE me.workspace_id = i.workspace_id AND me.user_id = $3)
      RETURNING ${ISSUE_COLUMNS}`,
    values,
  );
  const issue = rows[0];
  if (!issue) throw notFound(`No issue ${ref} in this workspace`);
  await tx.emit(access.id, 'issue.updated', { issue: issueJson(issue, access.issueKey), changes: changed });
  return issue;
}

export const registerIssues: RouteModule = (app, ctx) => {
  app.get('/api/v1/workspaces/:slug/issues', async (request) => {
    const user = requireUser(request);
    const { slug } = parseInput(slugParams, request.params, 'params');
    const query = parseInput(listQuery, request.query, 'query');
    const access = await resolveWorkspace(ctx.pool, slug, user);
    let assigneeId: string | null | undefined;
    if (query.assignee === 'me') assigneeId = user.id;
    else if (query.assignee === 'none') assigneeId = null;
    else if (query.assignee !== undefined) {
      if (!(await isMember(ctx.pool, access.id, query.assignee))) throw invalid('assignee', 'is not a member of this workspace');
      assigneeId = query.assignee;
    }
    const filters: IssueFilters = {
      statuses: query.status,
      assigneeId,
      q: query.q || undefined,
      limit: query.limit ?? 50,
      before: query.cursor ? decodeCursor(query.cursor) : undefined,
    };
    const { rows, more } = await listIssues(ctx.pool, access, filters);
    const last = rows[rows.length - 1];
    return {
      issues: rows.map((row) => issueJson(row, access.issueKey)),
      nextCursor: more && last ? encodeCursor(last.number) : null,
    };
  });

  app.post('/api/v1/workspaces/:slug/issues', async (request, reply) => {
    const user = requireUser(request);
    const { slug } = parseInput(slugParams, request.params, 'params');
    const body = parseInput(createBody, request.body, 'body');
    const issue = await transaction(ctx.pool, ctx.hub, async (tx) => {
      const access = await resolveWorkspace(tx.client, slug, user);
      return issueJson(await createIssue(tx, access, user, body), access.issueKey);
    });
    return reply.code(201).send({ issue });
  });

  app.get('/api/v1/workspaces/:slug/issues/:ref', async (request) => {
    const user = requireUser(request);
    const params = parseInput(issueParams, request.params, 'params');
    const access = await resolveWorkspace(ctx.pool, params.slug, user);
    return { issue: issueJson(await requireIssue(ctx.pool, access, params.ref), access.issueKey) };
  });

  app.patch('/api/v1/workspaces/:slug/issues/:ref', async (request) => {
    const user = requireUser(request);
    const params = parseInput(issueParams, request.params, 'params');
    const body = parseInput(updateBody, request.body, 'body');
    const issue = await transaction(ctx.pool, ctx.hub, async (tx) => {
      const access = await resolveWorkspace(tx.client, params.slug, user);
      return issueJson(await updateIssue(tx, access, params.ref, body), access.issueKey);
    });
    return { issue };
  });

  for (const [action, next] of [
    ['close', 'closed'],
    ['reopen', 'open'],
  ] as const) {
    app.post(`/api/v1/workspaces/:slug/issues/:ref/${action}`, async (request) => {
      const user = requireUser(request);
      const params = parseInput(issueParams, request.params, 'params');
      const issue = await transaction(ctx.pool, ctx.hub, async (tx) => {
        const access = await resolveWorkspace(tx.client, params.slug, user);
        const current = await requireIssue(tx.client, access, params.ref, { lock: true });
        // Reopening an issue that is merely in progress leaves it as it is.
        if (next === 'open' && current.status !== 'closed') return issueJson(current, access.issueKey);
        return issueJson(await updateIssue(tx, access, params.ref, { status: next }), access.issueKey);
      });
      return { issue };
    });
  }

  app.delete('/api/v1/workspaces/:slug/issues/:ref', async (request, reply) => {
    const user = requireUser(request);
    const params = parseInput(issueParams, request.params, 'params');
    await transaction(ctx.pool, ctx.hub, async (tx) => {
      const access = await resolveWorkspace(tx.client, params.slug, user);
      const issue = await requireIssue(tx.client, access, params.ref, { lock: true });
      if (issue.author_id !== user.id && !isAdmin(access)) throw forbidden('Only the issue\'s author or a workspace admin can delete it');
      await tx.client.query('DELETE FROM issues WHERE id = $1 AND workspace_id = $2', [issue.id, access.id]);
      await tx.emit(access.id, 'issue.deleted', { issueId: issue.id, issueNumber: issue.number, key: `${access.issueKey}-${issue.number}` });
    });
    return reply.code(204).send();
  });
};
