/**
 * Members and roles. Admins (and owners) change roles and remove members; anyone may leave.
 * Only an owner can make or unmake owners, and a workspace always keeps at least one owner.
 * Role changes take the workspace row lock so two concurrent demotions cannot both pass the
 * "another owner remains" check.
 */
import { z } from 'zod';
import { HttpError, forbidden, notFound } from '../../errors.ts';
import { ERROR_RESPONSES, noContent } from '../../schema.ts';
import { memberJson, type MemberJson } from '../json.ts';
import { lockWorkspace, requireAdmin, type WorkspaceAccess } from './access.ts';
import { workspaceOf, type RouteModule } from './context.ts';
import { transaction, type Db } from './db.ts';
import { ROLES, id, slug, slugParams, type Role } from './schemas.ts';

const memberParams = z.object({ slug, userId: id });
const roleBody = z.object({ role: z.enum(ROLES, 'must be one of owner, admin, member') });

interface Row {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

const toJson = (row: Row): MemberJson => ({
  userId: row.user_id,
  email: row.email,
  name: row.name,
  role: row.role,
  joinedAt: row.created_at.toISOString(),
});

const lastOwner = () => new HttpError(409, 'conflict', 'A workspace needs at least one owner: make someone else an owner first');

export async function listMembers(db: Db, access: WorkspaceAccess): Promise<MemberJson[]> {
  const { rows } = await db.query<Row>(
    `SELECT m.user_id, u.email, u.name, m.role, m.created_at
       FROM workspace_members m
       JOIN users u ON u.id = m.user_id
       JOIN workspace_members me ON me.workspace_id = m.workspace_id AND me.user_id = $2
      WHERE m.workspace_id = $1
      ORDER BY m.created_at, u.email`,
    [access.id, access.userId],
  );
  return rows.map(toJson);
}

async function findMember(db: Db, access: WorkspaceAccess, userId: string): Promise<Row | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT m.user_id, u.email, u.name, m.role, m.created_at
       FROM workspace_members m JOIN users u ON u.id = m.user_id
      WHERE m.workspace_id = $1 AND m.user_id = $2`,
    [access.id, userId],
  );
  return rows[0];
}

async function countOwners(db: Db, workspaceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM workspace_members WHERE workspace_id = $1 AND role = 'owner'`, [workspaceId]);
  return rows[0]?.n ?? 0;
}

export const registerMembers: RouteModule = (app, ctx) => {
  app.get(
    '/members',
    { schema: { summary: 'List members', params: slugParams, response: { 200: z.object({ members: z.array(memberJson) }), ...ERROR_RESPONSES } } },
    async (request) => ({ members: await listMembers(ctx.pool, workspaceOf(request)) }),
  );

  app.patch(
    '/members/:userId',
    { schema: { summary: 'Change a member\'s role (admin)', params: memberParams, body: roleBody, response: { 200: z.object({ member: memberJson }), ...ERROR_RESPONSES } } },
    async (request) => {
      const { userId } = request.params;
      const { role } = request.body;
      const member = await transaction(ctx.pool, undefined, async ({ client }) => {
        const access = await lockWorkspace(client, workspaceOf(request));
        requireAdmin(access, 'change roles');
        const target = await findMember(client, access, userId);
        if (!target) throw notFound('No such member in this workspace');
        if ((target.role === 'owner' || role === 'owner') && access.role !== 'owner' && target.role !== role) {
          throw forbidden('Only an owner can make someone an owner or change an owner\'s role');
        }
        if (target.role === 'owner' && role !== 'owner' && (await countOwners(client, access.id)) <= 1) throw lastOwner();
        const { rows } = await client.query<Row>(
          `UPDATE workspace_members m SET role = $3 FROM users u
            WHERE m.workspace_id = $1 AND m.user_id = $2 AND u.id = m.user_id
            RETURNING m.user_id, u.email, u.name, m.role, m.created_at`,
          [access.id, userId, role],
        );
        return toJson(rows[0]!);
      });
      return { member };
    },
  );

  app.delete(
    '/members/:userId',
    { schema: { summary: 'Remove a member (admin), or leave', params: memberParams, response: { 204: noContent, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const { userId } = request.params;
      await transaction(ctx.pool, undefined, async ({ client }) => {
        const access = await lockWorkspace(client, workspaceOf(request));
        const self = userId === access.userId;
        if (!self) requireAdmin(access, 'remove members');
        const target = await findMember(client, access, userId);
        if (!target) throw notFound('No such member in this workspace');
        if (target.role === 'owner') {
          if (!self && access.role !== 'owner') throw forbidden('Only an owner can remove an owner');
          if ((await countOwners(client, access.id)) <= 1) throw lastOwner();
        }
        await client.query('DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2', [access.id, userId]);
      });
      return reply.code(204).send();
    },
  );
};
