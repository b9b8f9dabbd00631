/**
 * Attachment storage: presigned S3 URLs, so file bytes go straight between the browser and
 * the bucket and never through the API. The upload URL binds the content type and the exact
 * content length (signed headers), so a client cannot store more than it declared; downloads
 * get a short-lived GET URL that makes the browser save the file under its original name.
 * `S3_ENDPOINT` switches to path-style addressing for S3-compatible stores.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { HttpError } from '../api/errors.ts';

export interface StorageSettings {
  readonly bucket?: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly urlTtlSeconds: number;
  readonly maxBytes: number;
  /** How long a call to the store may take, retries included. @default STORAGE_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/**
 * The SDK sets no time limit of its own (NodeHttpHandler's timeouts default to 0, none), and a
 * delete runs inside the transaction that removes the record: a store that stops answering
 * would hold that database connection, and enough such requests the whole pool.
 */
export const STORAGE_TIMEOUT_MS = 10_000;

export interface PresignedUpload {
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the upload must carry exactly as given (Content-Length must equal the declared size). */
  readonly headers: Record<string, string>;
  readonly expiresAt: string;
}

export interface PresignedDownload {
  readonly url: string;
  readonly expiresAt: string;
}

/** For the operator (server log and docs): the settings that turn attachments on. */
export const ATTACHMENTS_SETUP_HINT = 'set S3_BUCKET and AWS_REGION (and S3_ENDPOINT for an S3-compatible store)';

/** For the person using the app: what is true, without the server's setting names. */
export const notConfigured = () => new HttpError(503, 'not_configured', 'Attachments are not configured on this server.');

/** The last path segment of a client-supplied name, reduced to characters safe in an object key. */
export function sanitizeFilename(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-120);
  return cleaned.replace(/^[._]+/, '') || 'file';
}

export function objectKeyFor(workspaceId: string, issueId: string, filename: string): string {
  return `workspaces/${workspaceId}/issues/${issueId}/${randomUUID()}/${sanitizeFilename(filename)}`;
}

/** `attachment; filename="…"; filename*=UTF-8''…` with a plain-ASCII fallback name. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The S3 SDK and presigner, loaded on first use: a server without attachments never loads them. */
const loadSdk = async () => ({ ...(await import('@aws-sdk/client-s3')), ...(await import('@aws-sdk/s3-request-presigner')) });
type Sdk = Awaited<ReturnType<typeof loadSdk>>;

export class AttachmentStorage {
  private client?: Promise<{ sdk: Sdk; client: S3Client }>;

  constructor(readonly settings: StorageSettings) {}

  get configured(): boolean {
    return Boolean(this.settings.bucket && this.settings.region);
  }

  private s3(): Promise<{ sdk: Sdk; client: S3Client }> {
    if (!this.configured) return Promise.reject(notConfigured());
    this.client ??= loadSdk().then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.settings.region,
        ...(this.settings.endpoint ? { endpoint: this.settings.endpoint, forcePathStyle: true } : {}),
        // No checksum of an (unknown) body in the URL: the browser sends the bytes later.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    }));
    return this.client;
  }

  async presignUpload(input: { key: string; contentType: string; sizeBytes: number }): Promise<PresignedUpload> {
    const { sdk, client } = await this.s3();
    const command = new sdk.PutObjectCommand({
      Bucket: this.settings.bucket,
      Key: input.key,
      ContentType: input.contentType,
      ContentLength: input.sizeBytes,
    });
    const url = await this.sign(() =>
      sdk.getSignedUrl(client, command, {
        expiresIn: this.settings.urlTtlSeconds,
        signableHeaders: new Set(['content-type', 'content-length']),
      }),
    );
    return {
      url,
      method: 'PUT',
      headers: { 'content-type': input.contentType },
      expiresAt: new Date(Date.now() + this.settings.urlTtlSeconds * 1000).toISOString(),
    };
  }

  async presignDownload(input: { key: string; filename: string; contentType: string }): Promise<PresignedDownload> {
    const { sdk, client } = await this.s3();
    const command = new sdk.GetObjectCommand({
      Bucket: this.settings.bucket,
      Key: input.key,
      ResponseContentDisposition: contentDisposition(input.filename),
      ResponseContentType: input.contentType,
    });
    const url = await this.sign(() => sdk.getSignedUrl(client, command, { expiresIn: this.settings.urlTtlSeconds }));
    return { url, expiresAt: new Date(Date.now() + this.settings.urlTtlSeconds * 1000).toISOString() };
  }

  /**
   * Deletes the object. The bucket is versioned, so this leaves a delete marker and the
   * lifecycle rule expires the old version later: a mistaken delete can still be recovered.
   */
  async deleteObject(key: string): Promise<void> {
    const { sdk, client } = await this.s3();
    const timeoutMs = this.settings.timeoutMs ?? STORAGE_TIMEOUT_MS;
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const why = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : (error as Error).name;
      throw new HttpError(503, 'storage_unavailable', `Attachment storage did not delete the file (${why}); nothing was changed, try again`);
    }
  }

  /** Signing only fails when no credentials can be found: a server problem, said plainly. */
  private async sign(sign: () => Promise<string>): Promise<string> {
    try {
      return await sign();
    } catch (error) {
      throw new HttpError(
        503,
        'storage_unavailable',
        `Attachment storage cannot sign URLs right now (${(error as Error).name}): check the server's AWS credentials`,
      );
    }
  }
}
