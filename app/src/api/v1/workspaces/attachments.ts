/**
 * Attachments: the API records the file and hands out a presigned S3 PUT URL that binds its
 * content type and exact size; downloads get a short-lived presigned GET. The bytes never pass
 * through the API. Object keys: workspaces/<workspace>/issues/<issue>/<uuid>/<safe filename>.
 */
import { z } from 'zod';
import { HttpError, forbidden, notFound, parseInput } from '../../errors.ts';
import { objectKeyFor } from '../../../storage/attachments.ts';
import { notConfigured } from '../../../storage/attachments.ts';
import { requireUser } from '../context.ts';
import { isAdmin, resolveWorkspace, type WorkspaceAccess } from './access.ts';
import type { RouteModule } from './context.ts';
import { transaction, type Db } from './db.ts';
import { requireIssue } from './issues.ts';
import { id, issueParams, slug, text } from './schemas.ts';

/** `type/subtype`, optionally with parameters such as `; charset=utf-8`. */
const MIME = /^[a-z0-9][\w!#$&^.+-]{0,126}\/[a-z0-9][\w!#$&^.+-]{0,126}(?:; ?[a-z0-9][\w!#$&^.+-]{0,62}=[\w!#$&^.+-]{1,62})*$/;

const createBody = z.object({
  filename: text(1, 255).refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'must not contain control characters'),
  contentType: z
    .string()
    .trim()
    .toLowerCase()
    .max(255, 'must be at most 255 characters')
    .regex(MIME, 'must be a MIME type such as image/png or application/pdf'),
  sizeBytes: z.number('must be a number of bytes').int('must be a whole number of bytes').min(1, 'must be at least 1 byte'),
});
const attachmentParams = z.object({ slug, id });

export interface AttachmentJson {
  id: string;
  issueId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  uploaderId: string | null;
  createdAt: string;
}

interface Row {
  id: string;
  issue_id: string;
  object_key: string;
  filename: string;
  content_type: string;
  size_bytes: string;
  uploader_id: string | null;
  created_at: Date;
}

const COLUMNS = 'a.id, a.issue_id, a.object_key, a.filename, a.content_type, a.size_bytes, a.uploader_id, a.created_at';

const toJson = (row: Row): AttachmentJson => ({
  id: row.id,
  issueId: row.issue_id,
  filename: row.filename,
  contentType: row.content_type,
  sizeBytes: Number(row.size_bytes),
  uploaderId: row.uploader_id,
  createdAt: row.created_at.toISOString(),
});

const human = (bytes: number) =>
  bytes >= 1_048_576 ? `${Math.round((bytes / 1_048_576) * 10) / 10} MiB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;

export async function listAttachments(db: Db, access: WorkspaceAccess, issueId: string): Promise<AttachmentJson[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM attachments a
       JOIN workspace_members me ON me.workspace_id = a.workspace_id AND me.user_id = $3
      WHERE a.workspace_id = $1 AND a.issue_id = $2
      ORDER BY a.created_at, a.id`,
    [access.id, issueId, access.userId],
  );
  return rows.map(toJson);
}

async function findAttachment(db: Db, access: WorkspaceAccess, attachmentId: string): Promise<Row> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM attachments a
       JOIN workspace_members me ON me.workspace_id = a.workspace_id AND me.user_id = $3
      WHERE a.workspace_id = $1 AND a.id = $2`,
    [access.id, attachmentId, access.userId],
  );
  if (!rows[0]) throw notFound('No such attachment in this workspace');
  return rows[0];
}

export const registerAttachments: RouteModule = (app, ctx) => {
  const { storage } = ctx;

  app.get('/api/v1/workspaces/:slug/issues/:ref/attachments', async (request) => {
    const user = requireUser(request);
    const params = parseInput(issueParams, request.params, 'params');
    const access = await resolveWorkspace(ctx.pool, params.slug, user);
    const issue = await requireIssue(ctx.pool, access, params.ref);
    return { attachments: await listAttachments(ctx.pool, access, issue.id) };
  });

  app.post('/api/v1/workspaces/:slug/issues/:ref/attachments', async (request, reply) => {
    const user = requireUser(request);
    const params = parseInput(issueParams, request.params, 'params');
    const body = parseInput(createBody, request.body, 'body');
    const access = await resolveWorkspace(ctx.pool, params.slug, user);
    const issue = await requireIssue(ctx.pool, access, params.ref);
    if (!storage.configured) throw notConfigured();
    const max = storage.settings.maxBytes;
    if (body.sizeBytes > max) {
      const message = `The file is ${human(body.sizeBytes)}; attachments may be at most ${human(max)} (ATTACHMENT_MAX_BYTES)`;
      throw new HttpError(413, 'payload_too_large', message, [{ path: 'sizeBytes', message: `must be at most ${max}` }]);
    }
    const key = objectKeyFor(access.id, issue.id, body.filename);
    // Sign first: when storage cannot sign, nothing is recorded.
    const upload = await storage.presignUpload({ key, contentType: body.contentType, sizeBytes: body.sizeBytes });
    const { rows } = await ctx.pool.query<Row>(
      `INSERT INTO attachments AS a (workspace_id, issue_id, uploader_id, object_key, filename, content_type, size_bytes)
       SELECT $1, $2, $3, $4, $5, $6, $7
        WHERE EXISTS (SELECT 1 FROM workspace_members me WHERE me.workspace_id = $1 AND me.user_id = $3)
       RETURNING ${COLUMNS}`,
      [access.id, issue.id, user.id, key, body.filename, body.contentType, body.sizeBytes],
    );
    if (!rows[0]) throw notFound(`No issue ${params.ref} in this workspace`);
    return reply.code(201).send({ attachment: toJson(rows[0]), upload });
  });

  app.get('/api/v1/workspaces/:slug/attachments/:id/download', async (request) => {
    const user = requireUser(request);
    const params = parseInput(attachmentParams, request.params, 'params');
    const access = await resolveWorkspace(ctx.pool, params.slug, user);
    const attachment = await findAttachment(ctx.pool, access, params.id);
    if (!storage.configured) throw notConfigured();
    return storage.presignDownload({ key: attachment.object_key, filename: attachment.filename, contentType: attachment.content_type });
  });

  app.delete('/api/v1/workspaces/:slug/attachments/:id', async (request, reply) => {
    const user = requireUser(request);
    const params = parseInput(attachmentParams, request.params, 'params');
    await transaction(ctx.pool, undefined, async (tx) => {
      const access = await resolveWorkspace(tx.client, params.slug, user);
      const attachment = await findAttachment(tx.client, access, params.id);
      if (attachment.uploader_id !== user.id && !isAdmin(access)) {
        throw forbidden('Only the person who attached the file or a workspace admin can delete it');
      }
      await tx.client.query('DELETE FROM attachments WHERE id = $1 AND workspace_id = $2', [attachment.id, access.id]);
      // The object goes before the row commits: if storage refuses, the record stays and the
      // delete can be retried; a record never points at a file that is gone.
      if (storage.configured) await storage.deleteObject(attachment.object_key);
    });
    return reply.code(204).send();
  });
};
