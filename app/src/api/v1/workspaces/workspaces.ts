/** Workspaces: list mine, create (creator is owner), read, rename (admin). */
import { z } from 'zod';
import { conflict, forbidden, parseInput } from '../../errors.ts';
import { requireUser, type AuthUser } from '../context.ts';
import { acceptPendingInvitations, requireAdmin, resolveWorkspace, toAccess, workspaceNotFound, type AccessRow, type WorkspaceAccess } from './access.ts';
import type { RouteModule } from './context.ts';
import { transaction, type Db } from './db.ts';
import { ISSUE_KEY_PATTERN, SLUG_PATTERN, slugParams, text, type Role } from './schemas.ts';

const createBody = z.object({
  name: text(1, 100),
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .max(48, 'must be at most 48 characters')
    .regex(SLUG_PATTERN, 'must be 2-48 lowercase letters, digits or dashes, starting with a letter or digit'),
  issueKey: z
    .string()
    .trim()
    .toUpperCase()
    .max(10, 'must be at most 10 characters')
    .regex(ISSUE_KEY_PATTERN, 'must be 2-10 letters or digits, starting with a letter (e.g. ENG)'),
});

const updateBody = z.object({ name: text(1, 100) });

export interface WorkspaceJson {
  id: string;
  slug: string;
  name: string;
  issueKey: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

export const workspaceJson = (w: WorkspaceAccess): WorkspaceJson => ({
  id: w.id,
  slug: w.slug,
  name: w.name,
  issueKey: w.issueKey,
  role: w.role,
  createdAt: w.createdAt.toISOString(),
  updatedAt: w.updatedAt.toISOString(),
});

export async function listWorkspaces(db: Db, userId: string): Promise<WorkspaceAccess[]> {
  const { rows } = await db.query<AccessRow>(
    `SELECT w.id, w.slug, w.name, w.issue_key, m.role, w.created_at, w.updated_at
       FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $1
      ORDER BY lower(w.name), w.slug`,
    [userId],
  );
  return rows.map((row) => toAccess(row, userId));
}

export async function createWorkspace(db: Db, user: AuthUser, input: z.output<typeof createBody>): Promise<WorkspaceAccess> {
  try {
    const { rows } = await db.query<AccessRow>(
      `WITH w AS (
         INSERT INTO workspaces (slug, name, issue_key) VALUES ($1, $2, $3)
         RETURNING id, slug, name, issue_key, created_at, updated_at
       ), m AS (
         INSERT INTO workspace_members (workspace_id, user_id, role) SELECT id, $4, 'owner' FROM w
       )
       SELECT w.*, 'owner' AS role FROM w`,
      [input.slug, input.name, input.issueKey, user.id],
    );
    return toAccess(rows[0]!, user.id);
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw conflict(`The slug "${input.slug}" is already taken; choose another`);
    throw error;
  }
}

export async function renameWorkspace(db: Db, access: WorkspaceAccess, name: string): Promise<WorkspaceAccess> {
  const { rows } = await db.query<AccessRow>(
    `UPDATE workspaces w SET name = $3, updated_at = now()
       FROM workspace_members m
      WHERE w.id = $1 AND m.workspace_id = w.id AND m.user_id = $2
      RETURNING w.id, w.slug, w.name, w.issue_key, m.role, w.created_at, w.updated_at`,
    [access.id, access.userId, name],
  );
  if (!rows[0]) throw workspaceNotFound(access.slug);
  return toAccess(rows[0], access.userId);
}

export const registerWorkspaces: RouteModule = (app, ctx) => {
  app.get('/api/v1/workspaces', async (request) => {
    const user = requireUser(request);
    await acceptPendingInvitations(ctx.pool, user);
    const workspaces = await listWorkspaces(ctx.pool, user.id);
    return { workspaces: workspaces.map(workspaceJson) };
  });

  app.post('/api/v1/workspaces', async (request, reply) => {
    const user = requireUser(request);
    if (ctx.config.signup.disableWorkspaceCreation) {
      throw forbidden('Creating workspaces is disabled on this server (DISABLE_WORKSPACE_CREATION); ask an admin to invite you', 'workspace_creation_disabled');
    }
    const body = parseInput(createBody, request.body, 'body');
    const workspace = await createWorkspace(ctx.pool, user, body);
    return reply.code(201).send({ workspace: workspaceJson(workspace) });
  });

  app.get('/api/v1/workspaces/:slug', async (request) => {
    const user = requireUser(request);
    const { slug } = parseInput(slugParams, request.params, 'params');
    return { workspace: workspaceJson(await resolveWorkspace(ctx.pool, slug, user)) };
  });

  app.patch('/api/v1/workspaces/:slug', async (request) => {
    const user = requireUser(request);
    const { slug } = parseInput(slugParams, request.params, 'params');
    const body = parseInput(updateBody, request.body, 'body');
    const workspace = await transaction(ctx.pool, undefined, async ({ client }) => {
      const access = await resolveWorkspace(client, slug, user);
      requireAdmin(access, 'rename the workspace');
      return renameWorkspace(client, access, body.name);
    });
    return { workspace: workspaceJson(workspace) };
  });
};
