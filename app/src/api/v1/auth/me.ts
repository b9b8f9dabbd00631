/** The signed-in user: who they are and which workspaces they belong to. */
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { ERROR_RESPONSES, type ApiInstance } from '../../schema.ts';
import type { ApiDependencies } from '../../server.ts';
import { requireUser } from '../context.ts';
import { membershipJson, userJson, type MembershipJson, type UserJson } from '../json.ts';
import { acceptPendingInvitations } from '../workspaces/access.ts';
import { noNul, NUL_MESSAGE } from '../workspaces/schemas.ts';

const patchBody = z.object({ name: z.string().trim().max(200, 'Too long: at most 200 characters').refine(noNul, NUL_MESSAGE) }).strict();

const meAnswer = z.object({ user: userJson, workspaces: z.array(membershipJson) });

export function registerMe(app: ApiInstance, deps: ApiDependencies): void {
  const { pool } = deps;

  app.get('/api/v1/me', { schema: { summary: 'The signed-in user and their workspaces', response: { 200: meAnswer, ...ERROR_RESPONSES } } }, async (request) => {
    const current = requireUser(request);
    // An invitation sent while this person was already signed in shows up here at once.
    await acceptPendingInvitations(pool, current);
    const [user, workspaces] = await Promise.all([
      pool.query<UserJson>('SELECT id, email, name FROM users WHERE id = $1', [current.id]),
      pool.query<MembershipJson>(
        `SELECT w.id, w.slug, w.name, w.issue_key AS "issueKey", m.role
           FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
          WHERE m.user_id = $1
          ORDER BY lower(w.name), w.slug`,
        [current.id],
      ),
    ]);
    if (!user.rows[0]) throw notFound('This account no longer exists');
    return { user: user.rows[0], workspaces: workspaces.rows };
  });

  app.patch('/api/v1/me', { schema: { summary: 'Change your name', body: patchBody, response: { 200: z.object({ user: userJson }), ...ERROR_RESPONSES } } }, async (request) => {
    const current = requireUser(request);
    const { name } = request.body;
    const { rows } = await pool.query<UserJson>(
      'UPDATE users SET name = $2, updated_at = now() WHERE id = $1 RETURNING id, email, name',
      [current.id, name],
    );
    if (!rows[0]) throw notFound('This account no longer exists');
    return { user: rows[0] };
  });
}
