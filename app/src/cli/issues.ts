/** `issue ls|create|show`: thin calls over `/api/v1/workspaces/:slug/issues`. */
import type { SlipwayClient } from './client.ts';

// The JSON shapes are the server's own (one definition per boundary).
import type { CommentJson, IssueJson } from '../api/v1/json.ts';

import { STATUSES, type IssueStatus } from '../api/v1/json.ts';

export { STATUSES, type IssueStatus };
export type Issue = IssueJson;
export type Comment = CommentJson;

export interface WorkspaceSummary {
  slug: string;
  name: string;
  issueKey: string;
}

interface Me {
  user: { id: string; email: string; name: string | null };
  workspaces: WorkspaceSummary[];
}

/** A usage problem: the message says what to type instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const ws = (slug: string) => `/api/v1/workspaces/${encodeURIComponent(slug)}`;

/** `ENG-42` → `{ key: 'ENG', number: 42 }`; `42` → `{ number: 42 }`. */
export function parseIssueRef(ref: string): { key?: string; number: number } {
  const match = /^(?:([A-Za-z][A-Za-z0-9]*)-)?(\d+)$/.exec(ref.trim());
  if (!match || Number(match[2]) < 1) {
    throw new UsageError(`"${ref}" is not an issue reference. Use the key and number, like ENG-42, or just 42 with --workspace.`);
  }
  return { key: match[1]?.toUpperCase(), number: Number(match[2]) };
}

/** `open,closed` → validated list; `all` → no filter. */
export function parseStatuses(value: string | undefined): string | undefined {
  if (value === undefined || value === 'all') return undefined;
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = parts.filter((s) => !(STATUSES as readonly string[]).includes(s));
  if (bad.length || parts.length === 0) {
    throw new UsageError(`--status must be one or more of ${STATUSES.join(', ')} (comma-separated), or all; got "${value}"`);
  }
  return parts.join(',');
}

/**
 * The workspace a command acts on: the explicit slug, else the one whose issue key matches
 * the reference, else the only workspace the token's user belongs to.
 */
export async function resolveWorkspace(client: SlipwayClient, explicit: string | undefined, issueKey?: string): Promise<string> {
  if (explicit) return explicit;
  const me = await client.request<Me>('GET', '/api/v1/me');
  const workspaces = me.workspaces ?? [];
  if (issueKey) {
    const byKey = workspaces.filter((w) => w.issueKey.toUpperCase() === issueKey);
    if (byKey.length === 1) return byKey[0]!.slug;
  }
  if (workspaces.length === 1) return workspaces[0]!.slug;
  if (workspaces.length === 0) {
    throw new UsageError(`${me.user.email} is not a member of any workspace. Create one in the web UI, or ask to be invited.`);
  }
  throw new UsageError(
    `Several workspaces are available; choose one with --workspace (or SLIPWAY_WORKSPACE): ${workspaces.map((w) => w.slug).join(', ')}`,
  );
}

export interface ListOptions {
  readonly workspace: string;
  readonly status?: string;
  readonly assignee?: string;
  readonly query?: string;
  /** Most issues to return, following `nextCursor` as needed. @default 50 */
  readonly limit?: number;
}

export async function listIssues(client: SlipwayClient, options: ListOptions): Promise<{ issues: Issue[]; more: boolean }> {
  const limit = options.limit ?? 50;
  const issues: Issue[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams();
    if (options.status) query.set('status', options.status);
    if (options.assignee) query.set('assignee', options.assignee);
    if (options.query) query.set('q', options.query);
    query.set('limit', String(Math.min(100, limit - issues.length)));
    if (cursor) query.set('cursor', cursor);
    const page: { issues: Issue[]; nextCursor: string | null } = await client.request('GET', `${ws(options.workspace)}/issues?${query}`);
    issues.push(...page.issues);
    cursor = page.nextCursor;
  } while (cursor && issues.length < limit);
  return { issues: issues.slice(0, limit), more: cursor !== null };
}

export interface CreateOptions {
  readonly workspace: string;
  readonly title: string;
  readonly description?: string;
}

export async function createIssue(client: SlipwayClient, options: CreateOptions): Promise<Issue> {
  const body: Record<string, string> = { title: options.title };
  if (options.description !== undefined) body.description = options.description;
  const { issue } = await client.request<{ issue: Issue }>('POST', `${ws(options.workspace)}/issues`, body);
  return issue;
}

export interface IssueDetails {
  issue: Issue;
  comments: Comment[];
  /** Member names by user id, for display (empty if the member list could not be read). */
  names: Record<string, string>;
}

export async function showIssue(client: SlipwayClient, workspace: string, ref: string): Promise<IssueDetails> {
  const path = `${ws(workspace)}/issues/${encodeURIComponent(ref)}`;
  const { issue } = await client.request<{ issue: Issue }>('GET', path);
  const [{ comments }, names] = await Promise.all([
    client.request<{ comments: Comment[] }>('GET', `${path}/comments`),
    client
      .request<{ members: { userId: string; email: string; name: string | null }[] }>('GET', `${ws(workspace)}/members`)
      .then((r) => Object.fromEntries(r.members.map((m) => [m.userId, m.name || m.email])))
      .catch(() => ({}) as Record<string, string>),
  ]);
  return { issue, comments, names };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function formatIssueTable(issues: Issue[], more: boolean): string {
  if (issues.length === 0) return 'No issues match.\n';
  const keyWidth = Math.max(3, ...issues.map((i) => i.key.length));
  const statusWidth = Math.max(6, ...issues.map((i) => i.status.length));
  const priorityWidth = Math.max(8, ...issues.map((i) => i.priority.length));
  const lines = [`${pad('KEY', keyWidth)}  ${pad('STATUS', statusWidth)}  ${pad('PRIORITY', priorityWidth)}  TITLE`];
  for (const issue of issues) {
    lines.push(`${pad(issue.key, keyWidth)}  ${pad(issue.status, statusWidth)}  ${pad(issue.priority, priorityWidth)}  ${issue.title}`);
  }
  if (more) lines.push(`… more issues exist; raise --limit to see them.`);
  return `${lines.join('\n')}\n`;
}

export function formatIssue({ issue, comments, names }: IssueDetails): string {
  const who = (id: string | null) => (id ? (names[id] ?? id) : 'unassigned');
  const lines = [
    `${issue.key}  ${issue.title}`,
    `status: ${issue.status}   priority: ${issue.priority}   assignee: ${who(issue.assigneeId)}   author: ${who(issue.authorId)}`,
    `created: ${issue.createdAt}   updated: ${issue.updatedAt}${issue.closedAt ? `   closed: ${issue.closedAt}` : ''}`,
    '',
    issue.description?.trim() ? issue.description.trim() : '(no description)',
  ];
  if (comments.length) {
    lines.push('', `Comments (${comments.length}):`);
    for (const c of comments) lines.push(`- ${c.createdAt} ${who(c.authorId)}: ${c.body}`);
  }
  return `${lines.join('\n')}\n`;
}
