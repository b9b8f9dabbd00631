/**
 * A thin client for the Slipway HTTP API (app/API.md). Same origin, cookie session:
 * the browser adds the Origin header to writes, which the API checks.
 */
import type { CapabilitiesJson } from '../../src/api/v1/capabilities.ts';

export type Capabilities = CapabilitiesJson;

// The JSON shapes are the server's own (one definition per boundary): a server change that
// breaks the UI breaks the type check.
import type {
  AttachmentJson as Attachment,
  CommentJson as Comment,
  InvitationJson as Invitation,
  IssueJson as Issue,
  IssueStatus,
  MemberJson as Member,
  Priority,
  Role,
  TokenJson as AccessToken,
  UserJson as User,
  WorkspaceJson as Workspace,
} from '../../src/api/v1/json.ts';

export type { AccessToken, Attachment, Comment, Invitation, Issue, IssueStatus, Member, Priority, Role, User, Workspace };

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Message for anything thrown by a request, preferring the API's own words. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return 'Could not reach the server. Check your connection and try again.';
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Listeners told when any request answers 401, so the app can return to sign-in. */
const unauthenticatedListeners = new Set<() => void>();
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  const response = await fetch(path, init);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string; issues?: FieldIssue[] } } | undefined)?.error;
    if (response.status === 401 && !path.startsWith('/api/v1/auth/')) {
      for (const listener of unauthenticatedListeners) listener();
    }
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      error?.issues ?? [],
    );
  }
  return data as T;
}

const ws = (slug: string) => `/api/v1/workspaces/${encodeURIComponent(slug)}`;

export interface IssueFilters {
  status?: string;
  assignee?: string;
  q?: string;
  cursor?: string | null;
  limit?: number;
}

export interface IssueInput {
  title?: string;
  description?: string | null;
  status?: IssueStatus;
  priority?: Priority;
  assigneeId?: string | null;
}

export const api = {
  version: () => request<{ release: string; commit: string }>('GET', '/api/version'),
  capabilities: () => request<Capabilities>('GET', '/api/v1/capabilities'),
  requestLink: (email: string) => request<{ sent: boolean; link?: string }>('POST', '/api/v1/auth/magic-link', { email }),
  verify: (token: string) => request<{ user: User }>('POST', '/api/v1/auth/verify', { token }),
  signOut: () => request<void>('POST', '/api/v1/auth/signout'),
  me: () => request<{ user: User; workspaces: Workspace[] }>('GET', '/api/v1/me'),
  updateMe: (name: string) => request<{ user: User }>('PATCH', '/api/v1/me', { name }),

  tokens: () => request<{ tokens: AccessToken[] }>('GET', '/api/v1/tokens'),
  createToken: (name: string) => request<{ token: string; record: AccessToken }>('POST', '/api/v1/tokens', { name }),
  revokeToken: (id: string) => request<void>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`),

  workspaces: () => request<{ workspaces: Workspace[] }>('GET', '/api/v1/workspaces'),
  createWorkspace: (input: { name: string; slug: string; issueKey: string }) =>
    request<{ workspace: Workspace }>('POST', '/api/v1/workspaces', input),
  workspace: (slug: string) => request<{ workspace: Workspace }>('GET', ws(slug)),
  renameWorkspace: (slug: string, name: string) => request<{ workspace: Workspace }>('PATCH', ws(slug), { name }),

  members: (slug: string) => request<{ members: Member[] }>('GET', `${ws(slug)}/members`),
  changeRole: (slug: string, userId: string, role: Role) =>
    request<{ member: Member }>('PATCH', `${ws(slug)}/members/${encodeURIComponent(userId)}`, { role }),
  removeMember: (slug: string, userId: string) =>
    request<void>('DELETE', `${ws(slug)}/members/${encodeURIComponent(userId)}`),
  invitations: (slug: string) => request<{ invitations: Invitation[] }>('GET', `${ws(slug)}/invitations`),
  invite: (slug: string, email: string, role: Role) =>
    request<{ invitation: Invitation; emailed: boolean; link?: string }>('POST', `${ws(slug)}/invitations`, { email, role }),
  cancelInvitation: (slug: string, id: string) =>
    request<void>('DELETE', `${ws(slug)}/invitations/${encodeURIComponent(id)}`),

  issues: (slug: string, filters: IssueFilters) => {
    const query = new URLSearchParams();
    if (filters.status) query.set('status', filters.status);
    if (filters.assignee) query.set('assignee', filters.assignee);
    if (filters.q) query.set('q', filters.q);
    if (filters.cursor) query.set('cursor', filters.cursor);
    query.set('limit', String(filters.limit ?? 50));
    return request<{ issues: Issue[]; nextCursor: string | null }>('GET', `${ws(slug)}/issues?${query}`);
  },
  issue: (slug: string, ref: string) => request<{ issue: Issue }>('GET', `${ws(slug)}/issues/${encodeURIComponent(ref)}`),
  createIssue: (slug: string, input: IssueInput) => request<{ issue: Issue }>('POST', `${ws(slug)}/issues`, input),
  updateIssue: (slug: string, ref: string, input: IssueInput) =>
    request<{ issue: Issue }>('PATCH', `${ws(slug)}/issues/${encodeURIComponent(ref)}`, input),
  closeIssue: (slug: string, ref: string) => request<{ issue: Issue }>('POST', `${ws(slug)}/issues/${encodeURIComponent(ref)}/close`),
  reopenIssue: (slug: string, ref: string) => request<{ issue: Issue }>('POST', `${ws(slug)}/issues/${encodeURIComponent(ref)}/reopen`),
  deleteIssue: (slug: string, ref: string) => request<void>('DELETE', `${ws(slug)}/issues/${encodeURIComponent(ref)}`),

  comments: (slug: string, ref: string) =>
    request<{ comments: Comment[] }>('GET', `${ws(slug)}/issues/${encodeURIComponent(ref)}/comments`),
  addComment: (slug: string, ref: string, body: string) =>
    request<{ comment: Comment }>('POST', `${ws(slug)}/issues/${encodeURIComponent(ref)}/comments`, { body }),
  editComment: (slug: string, id: string, body: string) =>
    request<{ comment: Comment }>('PATCH', `${ws(slug)}/comments/${encodeURIComponent(id)}`, { body }),
  deleteComment: (slug: string, id: string) => request<void>('DELETE', `${ws(slug)}/comments/${encodeURIComponent(id)}`),

  attachments: (slug: string, ref: string) =>
    request<{ attachments: Attachment[] }>('GET', `${ws(slug)}/issues/${encodeURIComponent(ref)}/attachments`),
  startUpload: (slug: string, ref: string, file: { filename: string; contentType: string; sizeBytes: number }) =>
    request<{ attachment: Attachment; upload: { url: string; method: 'PUT'; headers?: Record<string, string> } }>(
      'POST',
      `${ws(slug)}/issues/${encodeURIComponent(ref)}/attachments`,
      file,
    ),
  deleteAttachment: (slug: string, id: string) => request<void>('DELETE', `${ws(slug)}/attachments/${encodeURIComponent(id)}`),
  downloadUrl: (slug: string, id: string) =>
    request<{ url: string; expiresAt: string }>('GET', `${ws(slug)}/attachments/${encodeURIComponent(id)}/download`),
  eventsUrl: (slug: string) => `${ws(slug)}/events`,
};

/** Uploads a file straight to storage with the presigned PUT the API handed out. */
export async function uploadFile(slug: string, ref: string, file: File): Promise<Attachment> {
  const contentType = file.type || 'application/octet-stream';
  const { attachment, upload } = await api.startUpload(slug, ref, {
    filename: file.name,
    contentType,
    sizeBytes: file.size,
  });
  // The browser sets Content-Length from the file itself and refuses to let scripts set it.
  const headers = Object.fromEntries(
    Object.entries(upload.headers ?? { 'content-type': contentType }).filter(([name]) => !['content-length', 'host'].includes(name.toLowerCase())),
  );
  const response = await fetch(upload.url, { method: upload.method ?? 'PUT', headers, body: file });
  if (!response.ok) {
    throw new Error(`The storage service refused the upload (${response.status}). Try again, or ask an admin to check the bucket's CORS rules.`);
  }
  return attachment;
}
