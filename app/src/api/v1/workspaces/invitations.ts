/**
 * Invitations by email. Admins invite as admin or member; the invitee is emailed
 * (invitation-mail.ts) and joins when they sign in (or on their first request that names the
 * workspace). Any member may see who is invited.
 */
import { z } from 'zod';
import { conflict, notFound } from '../../errors.ts';
import { ERROR_RESPONSES, noContent } from '../../schema.ts';
import { invitationJson, type InvitationJson } from '../json.ts';
import { requireAdmin, type WorkspaceAccess } from './access.ts';
import { workspaceOf, type RouteModule } from './context.ts';
import { checkInvitationLimits, deliverInvitation } from './invitation-mail.ts';
import type { Db } from './db.ts';
import { email, id, slug, slugParams } from './schemas.ts';

const inviteBody = z.object({
  email,
  role: z.enum(['admin', 'member'], 'must be admin or member (make someone an owner once they have joined)').default('member'),
});
const invitationParams = z.object({ slug, id });
const invitedJson = z.object({
  invitation: invitationJson,
  emailed: z.boolean().describe('whether the email provider accepted the invitation email'),
  link: z.string().optional().describe('development without an email provider, to a local client only: the link to pass on'),
});

interface Row {
  id: string;
  email: string;
  role: 'admin' | 'member';
  invited_by: string | null;
  created_at: Date;
}

const toJson = (row: Row): InvitationJson => ({
  id: row.id,
  email: row.email,
  role: row.role,
  invitedBy: row.invited_by,
  createdAt: row.created_at.toISOString(),
});

export async function listInvitations(db: Db, access: WorkspaceAccess): Promise<InvitationJson[]> {
  const { rows } = await db.query<Row>(
    `SELECT i.id, i.email, i.role, i.invited_by, i.created_at
       FROM workspace_invitations i
       JOIN workspace_members me ON me.workspace_id = i.workspace_id AND me.user_id = $2
      WHERE i.workspace_id = $1 AND i.accepted_at IS NULL
      ORDER BY i.created_at, i.email`,
    [access.id, access.userId],
  );
  return rows.map(toJson);
}

export async function createInvitation(db: Db, access: WorkspaceAccess, input: z.output<typeof inviteBody>): Promise<InvitationJson> {
  const member = await db.query(
    `SELECT 1 FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND u.email = $2`,
    [access.id, input.email],
  );
  if (member.rowCount) throw conflict(`${input.email} is already a member of this workspace`);
  try {
    const { rows } = await db.query<Row>(
      `INSERT INTO workspace_invitations (workspace_id, email, role, invited_by) VALUES ($1, $2, $3, $4)
       RETURNING id, email, role, invited_by, created_at`,
      [access.id, input.email, input.role, access.userId],
    );
    return toJson(rows[0]!);
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw conflict(`${input.email} is already invited`);
    throw error;
  }
}

export const registerInvitations: RouteModule = (app, ctx) => {
  app.get(
    '/invitations',
    { schema: { summary: 'List open invitations', params: slugParams, response: { 200: z.object({ invitations: z.array(invitationJson) }), ...ERROR_RESPONSES } } },
    async (request) => ({ invitations: await listInvitations(ctx.pool, workspaceOf(request)) }),
  );

  app.post(
    '/invitations',
    { schema: { summary: 'Invite someone by email (admin): emails them; they join on sign-in', params: slugParams, body: inviteBody, response: { 201: invitedJson, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const access = workspaceOf(request);
      requireAdmin(access, 'invite people');
      await checkInvitationLimits(ctx, request, request.body.email);
      const invitation = await createInvitation(ctx.pool, access, request.body);
      return reply.code(201).send({ invitation, ...(await deliverInvitation(ctx, request, access, invitation)) });
    },
  );

  app.delete(
    '/invitations/:id',
    { schema: { summary: 'Cancel an invitation (admin)', params: invitationParams, response: { 204: noContent, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const access = workspaceOf(request);
      requireAdmin(access, 'cancel invitations');
      const { rowCount } = await ctx.pool.query(
        `DELETE FROM workspace_invitations i USING workspace_members me
          WHERE i.id = $1 AND i.workspace_id = $2 AND i.accepted_at IS NULL
            AND me.workspace_id = i.workspace_id AND me.user_id = $3`,
        [request.params.id, access.id, access.userId],
      );
      if (!rowCount) throw notFound('No such invitation in this workspace');
      return reply.code(204).send();
    },
  );
};
