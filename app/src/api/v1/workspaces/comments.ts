/** Comments on issues: list (oldest first), create, edit (author), delete (author or admin). */
import { z } from 'zod';
import { forbidden, notFound } from '../../errors.ts';
import { ERROR_RESPONSES, noContent } from '../../schema.ts';
import { commentJson, type CommentJson } from '../json.ts';
import { isAdmin, type WorkspaceAccess } from './access.ts';
import { workspaceOf, type RouteModule } from './context.ts';
import type { Db, Tx } from './db.ts';
import { transaction } from './db.ts';
import { requireIssue } from './issue-queries.ts';
import { content, id, issueParams, slug } from './schemas.ts';

const commentBody = z.object({ body: content(100_000) });
const commentParams = z.object({ slug, id });
const commentAnswer = z.object({ comment: commentJson });

interface Row {
  id: string;
  issue_id: string;
  issue_number: number;
  author_id: string | null;
  body: string;
  created_at: Date;
  updated_at: Date;
}

const toJson = (row: Row): CommentJson => ({
  id: row.id,
  issueId: row.issue_id,
  issueNumber: row.issue_number,
  authorId: row.author_id,
  body: row.body,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export async function listComments(db: Db, access: WorkspaceAccess, issueId: string): Promise<CommentJson[]> {
  const { rows } = await db.query<Row>(
    `SELECT c.id, c.issue_id, i.number AS issue_number, c.author_id, c.body, c.created_at, c.updated_at
       FROM comments c
       JOIN issues i ON i.id = c.issue_id AND i.workspace_id = c.workspace_id
       JOIN workspace_members me ON me.workspace_id = c.workspace_id AND me.user_id = $3
      WHERE c.workspace_id = $1 AND c.issue_id = $2
      ORDER BY c.created_at, c.id`,
    [access.id, issueId, access.userId],
  );
  return rows.map(toJson);
}

async function findComment(db: Db, access: WorkspaceAccess, commentId: string): Promise<Row> {
  const { rows } = await db.query<Row>(
    `SELECT c.id, c.issue_id, i.number AS issue_number, c.author_id, c.body, c.created_at, c.updated_at
       FROM comments c
       JOIN issues i ON i.id = c.issue_id AND i.workspace_id = c.workspace_id
       JOIN workspace_members me ON me.workspace_id = c.workspace_id AND me.user_id = $3
      WHERE c.workspace_id = $1 AND c.id = $2
        FOR UPDATE OF c`,
    [access.id, commentId, access.userId],
  );
  if (!rows[0]) throw notFound('No such comment in this workspace');
  return rows[0];
}

export async function createComment(tx: Tx, access: WorkspaceAccess, ref: string, body: string): Promise<CommentJson> {
  // The foreign key's row lock stops a concurrent delete of the issue between check and insert.
  const issue = await requireIssue(tx.client, access, ref);
  const { rows } = await tx.client.query<Row>(
    `INSERT INTO comments (workspace_id, issue_id, author_id, body) VALUES ($1, $2, $3, $4)
     RETURNING id, issue_id, $5::int AS issue_number, author_id, body, created_at, updated_at`,
    [access.id, issue.id, access.userId, body, issue.number],
  );
  const comment = toJson(rows[0]!);
  await tx.emit(access.id, 'comment.created', { comment, issueId: issue.id, issueNumber: issue.number });
  return comment;
}

export const registerComments: RouteModule = (app, ctx) => {
  app.get(
    '/issues/:ref/comments',
    { schema: { summary: 'List an issue\'s comments, oldest first', params: issueParams, response: { 200: z.object({ comments: z.array(commentJson) }), ...ERROR_RESPONSES } } },
    async (request) => {
      const access = workspaceOf(request);
      const issue = await requireIssue(ctx.pool, access, request.params.ref);
      return { comments: await listComments(ctx.pool, access, issue.id) };
    },
  );

  app.post(
    '/issues/:ref/comments',
    { schema: { summary: 'Comment on an issue', params: issueParams, body: commentBody, response: { 201: commentAnswer, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const access = workspaceOf(request);
      const comment = await transaction(ctx.pool, ctx.hub, (tx) => createComment(tx, access, request.params.ref, request.body.body));
      return reply.code(201).send({ comment });
    },
  );

  app.patch(
    '/comments/:id',
    { schema: { summary: 'Edit a comment (author)', params: commentParams, body: commentBody, response: { 200: commentAnswer, ...ERROR_RESPONSES } } },
    async (request) => {
      const access = workspaceOf(request);
      const { body } = request.body;
      const comment = await transaction(ctx.pool, ctx.hub, async (tx) => {
        const current = await findComment(tx.client, access, request.params.id);
        if (current.author_id !== access.userId) throw forbidden('Only the author can edit a comment');
        if (current.body === body) return toJson(current);
        const { rows } = await tx.client.query<Row>(
          `UPDATE comments SET body = $3, updated_at = now() WHERE id = $1 AND workspace_id = $2
           RETURNING id, issue_id, $4::int AS issue_number, author_id, body, created_at, updated_at`,
          [current.id, access.id, body, current.issue_number],
        );
        const updated = toJson(rows[0]!);
        await tx.emit(access.id, 'comment.updated', { comment: updated, issueId: updated.issueId, issueNumber: updated.issueNumber });
        return updated;
      });
      return { comment };
    },
  );

  app.delete(
    '/comments/:id',
    { schema: { summary: 'Delete a comment (author or admin)', params: commentParams, response: { 204: noContent, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const access = workspaceOf(request);
      await transaction(ctx.pool, ctx.hub, async (tx) => {
        const current = await findComment(tx.client, access, request.params.id);
        if (current.author_id !== access.userId && !isAdmin(access)) throw forbidden('Only the author or a workspace admin can delete a comment');
        await tx.client.query('DELETE FROM comments WHERE id = $1 AND workspace_id = $2', [current.id, access.id]);
        await tx.emit(access.id, 'comment.deleted', { commentId: current.id, issueId: current.issue_id, issueNumber: current.issue_number });
      });
      return reply.code(204).send();
    },
  );
};
