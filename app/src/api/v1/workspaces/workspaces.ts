/** Workspaces: list mine, create (creator is owner), read, rename (admin). */
import { z } from 'zod';
import { conflict, forbidden } from '../../errors.ts';
import { ERROR_RESPONSES } from '../../schema.ts';
import { requireUser, type AuthUser } from '../context.ts';
import { workspaceJson as workspaceShape, type WorkspaceJson } from '../json.ts';
import { acceptPendingInvitations, requireAdmin, toAccess, workspaceNotFound, type AccessRow, type WorkspaceAccess } from './access.ts';
import { workspaceOf, type RouteModule } from './context.ts';
import type { Db } from './db.ts';
import { ISSUE_KEY_PATTERN, SLUG_PATTERN, slugParams, text } from './schemas.ts';

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

const workspaceAnswer = z.object({ workspace: workspaceShape });

/** `/api/v1/workspaces`: the signed-in user's workspaces, and creating one. */
export const registerWorkspaceCollection: RouteModule = (app, ctx) => {
  app.get('', { schema: { summary: 'List my workspaces', response: { 200: z.object({ workspaces: z.array(workspaceShape) }), ...ERROR_RESPONSES } } }, async (request) => {
    const user = requireUser(request);
    await acceptPendingInvitations(ctx.pool, user);
    const workspaces = await listWorkspaces(ctx.pool, user.id);
    return { workspaces: workspaces.map(workspaceJson) };
  });

  app.post('', { schema: { summary: 'Create a workspace (you become its owner)', body: createBody, response: { 201: workspaceAnswer, ...ERROR_RESPONSES } } }, async (request, reply) => {
    const user = requireUser(request);
    if (ctx.config.signup.disableWorkspaceCreation) {
      throw forbidden('Creating workspaces is disabled on this server (DISABLE_WORKSPACE_CREATION); ask an admin to invite you', 'workspace_creation_disabled');
    }
    const workspace = await createWorkspace(ctx.pool, user, request.body);
    return reply.code(201).send({ workspace: workspaceJson(workspace) });
  });
};

/** `/api/v1/workspaces/:slug`: read it, rename it (admin). */
export const registerWorkspace: RouteModule = (app, ctx) => {
  app.get('', { schema: { summary: 'Read a workspace', params: slugParams, response: { 200: workspaceAnswer, ...ERROR_RESPONSES } } }, async (request) => ({
    workspace: workspaceJson(workspaceOf(request)),
  }));

  app.patch('', { schema: { summary: 'Rename a workspace (admin)', params: slugParams, body: updateBody, response: { 200: workspaceAnswer, ...ERROR_RESPONSES } } }, async (request) => {
    const access = workspaceOf(request);
    requireAdmin(access, 'rename the workspace');
    return { workspace: workspaceJson(await renameWorkspace(ctx.pool, access, request.body.name)) };
  });
};
