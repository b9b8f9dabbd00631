/**
 * Who may see and change a workspace. Every route starts here: the workspace is looked up
 * through the current user's membership, so another workspace's slug is simply absent (404),
 * never "forbidden", and every later query is scoped by the workspace id found this way and
 * by the same membership join.
 */
import { forbidden, notFound } from '../../errors.ts';
import type { AuthUser } from '../context.ts';
import type { Db } from './db.ts';
import type { Role } from '../json.ts';

export interface WorkspaceAccess {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly issueKey: string;
  readonly role: Role;
  readonly userId: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A workspace row joined with the member's role, as the queries here and in workspaces.ts select it. */
export interface AccessRow {
  id: string;
  slug: string;
  name: string;
  issue_key: string;
  role: Role;
  created_at: Date;
  updated_at: Date;
}

export const toAccess = (row: AccessRow, userId: string): WorkspaceAccess => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  issueKey: row.issue_key,
  role: row.role,
  userId,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const workspaceNotFound = (slug: string) => notFound(`No workspace "${slug}" (or you are not a member)`);

async function findMembership(db: Db, slug: string, userId: string, lock: boolean): Promise<AccessRow | undefined> {
  const { rows } = await db.query<AccessRow>(
    `SELECT w.id, w.slug, w.name, w.issue_key, m.role, w.created_at, w.updated_at
       FROM workspaces w
       JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $2
      WHERE w.slug = $1${lock ? ' FOR UPDATE OF w' : ''}`,
    [slug, userId],
  );
  return rows[0];
}

/**
 * Joins the user to every workspace with an open invitation for their email (the invitee
 * "joins on sign-in"; called on first use too, so it works whichever way they arrive).
 * Returns the number of workspaces joined.
 */
export async function acceptPendingInvitations(db: Db, user: Pick<AuthUser, 'id' | 'email'>, slug?: string): Promise<number> {
  const { rowCount } = await db.query(
    `WITH accepted AS (
       UPDATE workspace_invitations i SET accepted_at = now()
         FROM workspaces w
        WHERE w.id = i.workspace_id AND i.email = lower($1) AND i.accepted_at IS NULL
          AND ($3::text IS NULL OR w.slug = $3)
       RETURNING i.workspace_id, i.role
     )
     INSERT INTO workspace_members (workspace_id, user_id, role)
     SELECT workspace_id, $2, role FROM accepted
     ON CONFLICT (workspace_id, user_id) DO NOTHING`,
    [user.email, user.id, slug ?? null],
  );
  return rowCount ?? 0;
}

/**
 * The access of a request under /api/v1/workspaces/:slug. Authentication already read the
 * membership with the credential; only a non-member needs more (an open invitation joins them).
 */
export async function accessOf(db: Db, slug: string, user: AuthUser, membership: AccessRow | null | undefined): Promise<WorkspaceAccess> {
  if (membership && membership.slug === slug) return toAccess(membership, user.id);
  if ((await acceptPendingInvitations(db, user, slug)) > 0) {
    const row = await findMembership(db, slug, user.id, false);
    if (row) return toAccess(row, user.id);
  }
  throw workspaceNotFound(slug);
}

/** Takes the workspace row lock in a transaction and reads the member's role again under it. */
export async function lockWorkspace(db: Db, access: WorkspaceAccess): Promise<WorkspaceAccess> {
  const row = await findMembership(db, access.slug, access.userId, true);
  if (!row) throw workspaceNotFound(access.slug);
  return toAccess(row, access.userId);
}

export const isAdmin = (access: WorkspaceAccess) => access.role === 'owner' || access.role === 'admin';

export function requireAdmin(access: WorkspaceAccess, what: string): void {
  if (!isAdmin(access)) throw forbidden(`Only workspace owners and admins can ${what}`);
}
