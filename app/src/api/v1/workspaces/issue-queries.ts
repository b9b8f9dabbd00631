/**
 * Issue queries: sequential numbers per workspace (taken under the workspace row lock in the
 * insert transaction, so concurrent creates never share one), lookup by `42` or `ENG-42`,
 * keyset pagination newest first with filters, and changes that append their live-update
 * event in the same transaction. Every query is scoped by the workspace id and joins the
 * caller's membership, so a member removed meanwhile sees nothing.
 */
import { HttpError, notFound } from '../../errors.ts';
import { binder, prepared, preparedDynamic } from '../../../db/statements.ts';
import { isoTimestamp, rawTimestamps } from '../../../db/timestamps.ts';
import type { CompanionRead } from '../auth/credentials.ts';
import type { IssueJson, IssueStatus, Priority } from '../json.ts';
import type { WorkspaceAccess } from './access.ts';
import type { Db, Tx } from './db.ts';
import { MAX_INT, refNumber } from './schemas.ts';
import { searchCondition } from './search.ts';

export interface IssueRow {
  id: string;
  number: number;
  title: string;
  description: string;
  status: IssueStatus;
  priority: Priority;
  assignee_id: string | null;
  author_id: string | null;
  /** timestamptz as PostgreSQL's text (queries here use rawTimestamps). */
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

/** The columns of an IssueRow with their types (a statement that pads them with NULLs needs the types). */
const ISSUE_COLUMN_TYPES: CompanionRead['columns'] = [
  ['id', 'uuid'],
  ['number', 'integer'],
  ['title', 'text'],
  ['description', 'text'],
  ['status', 'text'],
  ['priority', 'text'],
  ['assignee_id', 'uuid'],
  ['author_id', 'uuid'],
  ['created_at', 'timestamptz'],
  ['updated_at', 'timestamptz'],
  ['closed_at', 'timestamptz'],
];

export const ISSUE_COLUMNS = ISSUE_COLUMN_TYPES.map(([name]) => `i.${name}`).join(', ');

export const toIssueJson = (row: IssueRow, issueKey: string): IssueJson => ({
  id: row.id,
  number: row.number,
  key: `${issueKey}-${row.number}`,
  title: row.title,
  description: row.description,
  status: row.status,
  priority: row.priority,
  assigneeId: row.assignee_id,
  authorId: row.author_id,
  createdAt: isoTimestamp(row.created_at),
  updatedAt: isoTimestamp(row.updated_at),
  closedAt: row.closed_at === null ? null : isoTimestamp(row.closed_at),
});

export interface IssueInput {
  title: string;
  description?: string | null;
  status?: IssueStatus;
  priority?: Priority;
  assigneeId?: string | null;
}

export type IssuePatch = Partial<{ title: string; description: string | null; status: IssueStatus; priority: Priority; assigneeId: string | null }>;

/** `assigneeId` for "assigned to the caller". */
export const ME = Symbol('me');

export interface IssueFilters {
  statuses?: IssueStatus[];
  /** A user id, ME, or null for unassigned. */
  assigneeId?: string | typeof ME | null;
  q?: string;
  limit: number;
  /** Only issues numbered below this (keyset pagination). */
  before?: number;
}

export const invalid = (path: string, message: string) => new HttpError(400, 'validation_failed', `${path}: ${message}`, [{ path, message }]);

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

export async function isMember(db: Db, workspaceId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM workspace_members WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
  return (rowCount ?? 0) > 0;
}

/**
 * Whom and where a page is read for, as SQL: bind parameters when the access is known, or the
 * columns of the credential row when the page is read in the statement that authenticates.
 */
interface PageScope {
  readonly workspaceId: string;
  readonly userId: string;
  /** The workspace's issue key, which a search by key needs (`ENG-42`). */
  readonly issueKey?: string;
}

/**
 * Row counts a literal LIMIT is rounded up to (page sizes 10, 25, 50, 100, plus the row that
 * tells whether there is a next page): each text is a prepared statement kept by every pooled
 * connection, so the limits a client may choose (1-100) must not each make one.
 */
const LITERAL_LIMITS = [11, 26, 51, 101] as const;

/**
 * The WHERE conditions and ORDER/LIMIT of a page; `param` binds a value and returns its
 * placeholder. `literalLimit` writes the limit into the text, rounded up to LITERAL_LIMITS
 * (the page takes the rows it needs): with the limit as a parameter PostgreSQL kept planning
 * the statement with the credential afresh on every execution (its generic plan looked dearer
 * than the custom ones), 1.3 ms of planning for 0.25 ms of work; pgbench on that statement went
 * from 4,400 to 12,900 tps with the literal.
 */
function pageConditions(scope: PageScope, filters: IssueFilters, param: (value: unknown) => string, literalLimit = false): { where: string; tail: string } {
  const where = [`i.workspace_id = ${scope.workspaceId}`];
  if (filters.statuses) where.push(`i.status = ANY(${param(filters.statuses)}::text[])`);
  if (filters.assigneeId === null) where.push('i.assignee_id IS NULL');
  else if (filters.assigneeId === ME) where.push(`i.assignee_id = ${scope.userId}`);
  else if (filters.assigneeId !== undefined) where.push(`i.assignee_id = ${param(filters.assigneeId)}`);
  if (filters.q) {
    if (scope.issueKey === undefined) throw new Error('a search needs the workspace\'s issue key');
    where.push(searchCondition(filters.q, scope.issueKey, param));
  }
  if (filters.before !== undefined) where.push(`i.number < ${param(filters.before)}`);
  const limit = filters.limit + 1;
  if (!literalLimit) return { where: where.join(' AND '), tail: `ORDER BY i.number DESC LIMIT ${param(limit)}` };
  const rows = Number.isInteger(limit) ? LITERAL_LIMITS.find((n) => n >= limit) : undefined;
  if (rows === undefined) throw new Error(`limit ${filters.limit} is not a validated page size`);
  return { where: where.join(' AND '), tail: `ORDER BY i.number DESC LIMIT ${rows}` };
}

/** The SQL and values of one page of issues read on its own (searches, named assignees, access found another way). */
function listIssuesStatement(access: Pick<WorkspaceAccess, 'id' | 'userId' | 'issueKey'>, filters: IssueFilters): { text: string; values: unknown[] } {
  const values: unknown[] = [access.id, access.userId];
  const { where, tail } = pageConditions({ workspaceId: '$1', userId: '$2', issueKey: access.issueKey }, filters, binder(values));
  const text = `SELECT ${ISSUE_COLUMNS} FROM issues i
       JOIN workspace_members me ON me.workspace_id = i.workspace_id AND me.user_id = $2
      WHERE ${where}
      ${tail}`;
  return { text, values };
}

/**
 * An issue as the API's JSON text, written by PostgreSQL: exactly what toIssueJson and the
 * response serializer make of the row (same keys in the same order, timestamps in
 * Date#toISOString's form with milliseconds truncated, strings escaped by to_json), so a page
 * reaches the client without node parsing its rows and writing them out again. `issue` is the
 * row's alias, `issueKey` the SQL of the workspace's key. status and priority are written
 * unescaped: the table's CHECK constraints allow only plain words. The time format spells its
 * colons `\x3a` in an escape string, as pgbench would read `:MI` as a variable.
 */
export function issueJsonSql(issue: string, issueKey: string): string {
  const text = (sql: string) => `to_json(${sql})::text`;
  const uuid = (sql: string) => `coalesce('"' || ${sql} || '"', 'null')`;
  const time = (sql: string) => `coalesce('"' || to_char(${sql} AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\\x3aMI\\x3aSS.MS"Z"') || '"', 'null')`;
  return `'{"id":"' || ${issue}.id || '","number":' || ${issue}.number || ',"key":' || ${text(`${issueKey} || '-' || ${issue}.number`)}
    || ',"title":' || ${text(`${issue}.title`)} || ',"description":' || ${text(`${issue}.description`)}
    || ',"status":"' || ${issue}.status || '","priority":"' || ${issue}.priority
    || '","assigneeId":' || ${uuid(`${issue}.assignee_id`)} || ',"authorId":' || ${uuid(`${issue}.author_id`)}
    || ',"createdAt":' || ${time(`${issue}.created_at`)} || ',"updatedAt":' || ${time(`${issue}.updated_at`)}
    || ',"closedAt":' || ${time(`${issue}.closed_at`)} || '}'`;
}

/** A page written by PostgreSQL (pageWithCredential): its issues as a JSON array, whether more follow, and the last number. */
export interface PageJsonRow {
  issues: string;
  more: boolean;
  last_number: number | null;
}

/**
 * A page read in the statement that authenticates (see credentials.ts): the credential row
 * `c` carries the member's workspace (`c.w_id`, found through the membership, so a non-member
 * reads nothing) and user (`c.id`); one round trip answers both. The page comes back as one
 * row, its issues already JSON (issueJsonSql): parsing 51 rows of 11 columns and writing them
 * out again was most of the node process's work on a page. The rows are read with the literal
 * limit (see pageConditions) and the page takes the first `limit` of them, a bind parameter
 * that does not change the plan.
 * Not for searches: their plans depend on the term (a common word walks the numbers, a rare
 * one takes the trigram index), so PostgreSQL plans them for each execution, and planning this
 * joined statement cost more than the round trip it saves (pgbench, rare term: 3,200 tps joined
 * against 8,500 for the search alone).
 */
export function pageWithCredential(filters: Omit<IssueFilters, 'q'>): CompanionRead {
  return {
    columns: [
      ['issues', 'text'],
      ['more', 'boolean'],
      ['last_number', 'integer'],
    ],
    sql: (param) => {
      const { where, tail } = pageConditions({ workspaceId: 'c.w_id', userId: 'c.id' }, filters, param, true);
      const limit = `${param(filters.limit)}::int`;
      return `SELECT '[' || coalesce(string_agg(${issueJsonSql('p', 'c.issue_key')}, ',' ORDER BY p.number DESC) FILTER (WHERE p.ordinal <= ${limit}), '') || ']' AS issues,
                     count(*) > ${limit} AS more,
                     min(p.number) FILTER (WHERE p.ordinal <= ${limit}) AS last_number
                FROM (SELECT ${ISSUE_COLUMNS}, row_number() OVER (ORDER BY i.number DESC) AS ordinal
                        FROM issues i WHERE ${where} ${tail}) p`;
    },
  };
}

/** The response body of a page PostgreSQL wrote (pageWithCredential), as the list route's serializer would write it. */
export function pageJsonBody(page: PageJsonRow): string {
  const nextCursor = page.more && page.last_number !== null ? `"${encodeCursor(page.last_number)}"` : 'null';
  return `{"issues":${page.issues},"nextCursor":${nextCursor}}`;
}

/** A page from rows read one more than the limit: whether there is a next page. */
export function pageOf(rows: IssueRow[], limit: number): { rows: IssueRow[]; more: boolean } {
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export async function listIssues(db: Db, access: WorkspaceAccess, filters: IssueFilters): Promise<{ rows: IssueRow[]; more: boolean }> {
  const { text, values } = listIssuesStatement(access, filters);
  const { rows } = await db.query<IssueRow>({ ...preparedDynamic('issues-list', text, values), types: rawTimestamps });
  return pageOf(rows, filters.limit);
}

const FIND_SQL = `SELECT ${ISSUE_COLUMNS} FROM issues i
       JOIN workspace_members me ON me.workspace_id = i.workspace_id AND me.user_id = $3
      WHERE i.workspace_id = $1 AND i.number = $2`;

export async function findIssue(db: Db, access: WorkspaceAccess, number: number, options: { lock?: boolean } = {}): Promise<IssueRow | undefined> {
  const { rows } = options.lock
    ? await db.query<IssueRow>({ ...prepared('issues-find-lock', `${FIND_SQL} FOR UPDATE OF i`, [access.id, number, access.userId]), types: rawTimestamps })
    : await db.query<IssueRow>({ ...prepared('issues-find', FIND_SQL, [access.id, number, access.userId]), types: rawTimestamps });
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

/**
 * Takes the next number and inserts in one statement: the UPDATE holds the workspace row lock
 * until COMMIT, which serializes concurrent creates in one workspace (each gets the next number).
 */
const CREATE_SQL = `WITH taken AS (
       UPDATE workspaces w SET next_issue_number = next_issue_number + 1
        WHERE w.id = $1 AND EXISTS (SELECT 1 FROM workspace_members me WHERE me.workspace_id = w.id AND me.user_id = $7)
        RETURNING next_issue_number - 1 AS number
     )
     INSERT INTO issues AS i (workspace_id, number, title, description, status, priority, assignee_id, author_id, closed_at)
     SELECT $1::uuid, taken.number, $2::text, $3::text, $4::text, $5::text, $6::uuid, $7::uuid, CASE WHEN $4::text = 'closed' THEN now() END FROM taken
     RETURNING ${ISSUE_COLUMNS}`;

export async function createIssue(tx: Tx, access: WorkspaceAccess, input: IssueInput): Promise<IssueRow> {
  await checkAssignee(tx.client, access, input.assigneeId);
  const values = [access.id, input.title, input.description ?? '', input.status ?? 'open', input.priority ?? 'none', input.assigneeId ?? null, access.userId];
  const { rows } = await tx.client.query<IssueRow>({ ...prepared('issues-create', CREATE_SQL, values), types: rawTimestamps });
  const issue = rows[0];
  if (!issue) throw notFound(`No workspace "${access.slug}" (or you are not a member)`);
  await tx.emit(access.id, 'issue.created', { issue: toIssueJson(issue, access.issueKey) });
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
  const { rows } = await tx.client.query<IssueRow>({
    text: `UPDATE issues i SET ${sets.join(', ')}, updated_at = now()
      WHERE i.id = $1 AND i.workspace_id = $2
        AND EXISTS (SELECT 1 FROM workspace_members me WHERE me.workspace_id = i.workspace_id AND me.user_id = $3)
      RETURNING ${ISSUE_COLUMNS}`,
    values,
    types: rawTimestamps,
  });
  const issue = rows[0];
  if (!issue) throw notFound(`No issue ${ref} in this workspace`);
  await tx.emit(access.id, 'issue.updated', { issue: toIssueJson(issue, access.issueKey), changes: changed });
  return issue;
}

export async function deleteIssue(tx: Tx, access: WorkspaceAccess, issue: IssueRow): Promise<void> {
  await tx.client.query('DELETE FROM issues WHERE id = $1 AND workspace_id = $2', [issue.id, access.id]);
  await tx.emit(access.id, 'issue.deleted', { issueId: issue.id, issueNumber: issue.number, key: `${access.issueKey}-${issue.number}` });
}
