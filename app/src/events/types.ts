/** What live updates carry: one row of `workspace_events`, as stored and as sent. */
import type { CommentJson, IssueJson } from '../api/v1/json.ts';

export const EVENT_TYPES = [
  'issue.created',
  'issue.updated',
  'issue.deleted',
  'comment.created',
  'comment.updated',
  'comment.deleted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** What each event carries (the SSE `data:`), declared once for the server and its clients. */
export interface EventPayloads {
  'issue.created': { issue: IssueJson };
  'issue.updated': { issue: IssueJson; changes: string[] };
  'issue.deleted': { issueId: string; issueNumber: number; key: string };
  'comment.created': { comment: CommentJson; issueId: string; issueNumber: number };
  'comment.updated': { comment: CommentJson; issueId: string; issueNumber: number };
  'comment.deleted': { commentId: string; issueId: string; issueNumber: number };
}

/** One event as a client receives it: its type with the payload of that type. */
export type LiveMessage = { [K in EventType]: { type: K; payload: EventPayloads[K] } }[EventType];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export interface WorkspaceEvent {
  /** `workspace_events.id` (a bigint, kept as its decimal string): the SSE event id. */
  readonly id: string;
  readonly workspaceId: string;
  readonly type: EventType;
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
}

export function isWorkspaceEvent(value: unknown): value is WorkspaceEvent {
  const v = value as Partial<WorkspaceEvent> | null;
  return (
    !!v &&
    typeof v.id === 'string' &&
    /^\d{1,19}$/.test(v.id) &&
    typeof v.workspaceId === 'string' &&
    typeof v.type === 'string' &&
    (EVENT_TYPES as readonly string[]).includes(v.type) &&
    !!v.payload &&
    typeof v.payload === 'object' &&
    typeof v.createdAt === 'string'
  );
}
