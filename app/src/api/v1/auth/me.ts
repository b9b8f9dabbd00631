/** The signed-in user: who they are and which workspaces they belong to. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { notFound, parseInput } from '../../errors.ts';
import type { ApiDependencies } from '../../server.ts';
import { requireUser } from '../context.ts';
import { acceptPendingInvitations } from '../workspaces/access.ts';

const patchBody = z.object({ name: z.string().trim().max(200, 'Too long: at most 200 characters') }).strict();

export function registerMe(app: FastifyInstance, deps: ApiDependencies): void {
  const { pool } = deps;

  app.get('/api/v1/me', async (request: FastifyRequest) => {
    const current = requireUser(request);
    // An invitation sent while this person was already signed in shows up here at once.
    await acceptPendingInvitations(pool, current);
    const [user, workspaces] = await Promise.all([
      pool.query<{ id: string; email: string; name: string }>('SELECT id, email, name FROM users WHERE id = $1', [current.id]),
      pool.query<{ id: string; slug: string; name: string; issueKey: string; role: string }>(
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

  app.patch('/api/v1/me', async (request: FastifyRequest) => {
    const current = requireUser(request);
    const { name } = parseInput(patchBody, request.body, 'body');
    const { rows } = await pool.query<{ id: string; email: string; name: string }>(
      'UPDATE users SET name = $2, updated_at = now() WHERE id = $1 RETURNING id, email, name',
      [current.id, name],
    );
    if (!rows[0]) throw notFound('This account no longer exists');
    return { user: rows[0] };
  });
}
