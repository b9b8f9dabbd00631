/**
 * Attachments: the API records the file and hands out a presigned S3 PUT URL that binds its
 * content type and exact size; downloads get a short-lived presigned GET. The bytes never pass
 * through the API. Object keys: workspaces/<workspace>/issues/<issue>/<uuid>/<safe filename>.
 */
import { z } from 'zod';
import { HttpError, forbidden, notFound } from '../../errors.ts';
import { ERROR_RESPONSES, noContent } from '../../schema.ts';
import { notConfigured, objectKeyFor } from '../../../storage/attachments.ts';
import { attachmentJson, presignedDownloadJson, presignedUploadJson, type AttachmentJson } from '../json.ts';
import { isAdmin, type WorkspaceAccess } from './access.ts';
import { workspaceOf, type RouteModule } from './context.ts';
import { transaction, type Db } from './db.ts';
import { requireIssue } from './issue-queries.ts';
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

  app.get(
    '/issues/:ref/attachments',
    { schema: { summary: 'List an issue\'s attachments', params: issueParams, response: { 200: z.object({ attachments: z.array(attachmentJson) }), ...ERROR_RESPONSES } } },
    async (request) => {
      const access = workspaceOf(request);
      const issue = await requireIssue(ctx.pool, access, request.params.ref);
      return { attachments: await listAttachments(ctx.pool, access, issue.id) };
    },
  );

  app.post(
    '/issues/:ref/attachments',
    {
      schema: {
        summary: 'Attach a file: records it and returns a presigned upload URL',
        params: issueParams,
        body: createBody,
        response: { 201: z.object({ attachment: attachmentJson, upload: presignedUploadJson }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const access = workspaceOf(request);
      const { body } = request;
      const issue = await requireIssue(ctx.pool, access, request.params.ref);
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
        [access.id, issue.id, access.userId, key, body.filename, body.contentType, body.sizeBytes],
      );
      if (!rows[0]) throw notFound(`No issue ${request.params.ref} in this workspace`);
      return reply.code(201).send({ attachment: toJson(rows[0]), upload });
    },
  );

  app.get(
    '/attachments/:id/download',
    { schema: { summary: 'A short-lived download URL', params: attachmentParams, response: { 200: presignedDownloadJson, ...ERROR_RESPONSES } } },
    async (request) => {
      const access = workspaceOf(request);
      const attachment = await findAttachment(ctx.pool, access, request.params.id);
      if (!storage.configured) throw notConfigured();
      return storage.presignDownload({ key: attachment.object_key, filename: attachment.filename, contentType: attachment.content_type });
    },
  );

  app.delete(
    '/attachments/:id',
    { schema: { summary: 'Delete an attachment and its file (uploader or admin)', params: attachmentParams, response: { 204: noContent, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const access = workspaceOf(request);
      await transaction(ctx.pool, undefined, async (tx) => {
        const attachment = await findAttachment(tx.client, access, request.params.id);
        if (attachment.uploader_id !== access.userId && !isAdmin(access)) {
          throw forbidden('Only the person who attached the file or a workspace admin can delete it');
        }
        await tx.client.query('DELETE FROM attachments WHERE id = $1 AND workspace_id = $2', [attachment.id, access.id]);
        // The object goes before the row commits: if storage refuses, the record stays and the
        // delete can be retried; a record never points at a file that is gone.
        if (storage.configured) await storage.deleteObject(attachment.object_key);
      });
      return reply.code(204).send();
    },
  );
};
