/** What live updates carry: one row of `workspace_events`, as stored and as sent. */
export const EVENT_TYPES = [
  'issue.created',
  'issue.updated',
  'issue.deleted',
  'comment.created',
  'comment.updated',
  'comment.deleted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

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
