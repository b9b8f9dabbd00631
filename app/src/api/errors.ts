/**
 * One error shape for every answer that is not a success:
 * `{"error":{"code","message","issues"?}}`. Nothing a client sends may produce a 500; a 500
 * means a bug, is logged with its stack, and the client sees only the request id.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

export interface ErrorIssue {
  readonly path: string;
  readonly message: string;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'Not found') => new HttpError(404, 'not_found', what);
export const forbidden = (message: string, code = 'forbidden') => new HttpError(403, code, message);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const unauthenticated = (message = 'Sign in first, or send Authorization: Bearer pat_…') => new HttpError(401, 'unauthenticated', message);

function issuePath(path: PropertyKey[]): string {
  return path.map(String).join('.') || '(root)';
}

export type InputPart = 'body' | 'query' | 'params' | 'headers';

/** The 400 for input that `schema` refused: every bad field named, the first three in the message. */
export function validationError(error: z.ZodError, where: InputPart): HttpError {
  const issues = error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  return new HttpError(400, 'validation_failed', `Invalid ${where}: ${summary}`, issues);
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send({
    error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) },
  });
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is empty but Content-Type says JSON; send a JSON object or drop the header' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', message: 'The URL is not valid (bad percent-encoding?)' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'bad_request' },
};

/** Postgres errors that a client can cause with valid-looking input. */
const PG_CODES: Record<string, { status: number; code: string; message: string }> = {
  '23505': { status: 409, code: 'conflict', message: 'That value is already taken' },
  '23503': { status: 409, code: 'conflict', message: 'A referenced record does not exist' },
  '22P02': { status: 400, code: 'validation_failed', message: 'A value has the wrong format' },
  '22001': { status: 400, code: 'validation_failed', message: 'A value is too long' },
  '23514': { status: 400, code: 'validation_failed', message: 'A value is out of range' },
  '22003': { status: 400, code: 'validation_failed', message: 'A number is out of range' },
  '54000': { status: 400, code: 'validation_failed', message: 'A value is too large' },
};

/** The database is down, restarting, failing over or refusing connections: worth a retry. */
const DB_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '28P01', '25P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const DB_UNAVAILABLE_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error/i;
/** query_canceled: here, the statement ran past the api's statement timeout (db/pool.ts). */
const DB_STATEMENT_TIMEOUT = '57014';

function isDatabaseUnavailable(error: { code?: unknown; message?: unknown }): boolean {
  return (typeof error.code === 'string' && DB_UNAVAILABLE_CODES.has(error.code)) || (typeof error.message === 'string' && DB_UNAVAILABLE_MESSAGES.test(error.message));
}

export function classify(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof z.ZodError) {
    return new HttpError(400, 'validation_failed', 'Invalid input', error.issues.map((i) => ({ path: issuePath(i.path), message: i.message })));
  }
  const e = error as Partial<FastifyError> & { code?: string; type?: string };
  if (e.code && FASTIFY_CODES[e.code]) {
    const known = FASTIFY_CODES[e.code]!;
    return new HttpError(known.status, known.code, known.message ?? e.message ?? 'Bad request');
  }
  if (e instanceof SyntaxError || e.type === 'entity.parse.failed') {
    return new HttpError(400, 'invalid_json', `The body is not valid JSON: ${e.message}`);
  }
  if (e.code === DB_STATEMENT_TIMEOUT) {
    return new HttpError(503, 'database_timeout', 'The database took too long to answer this request; try again in a few seconds', undefined, { 'retry-after': '5' });
  }
  if (isDatabaseUnavailable(e)) {
    // A 503 with Retry-After tells clients and the load balancer this is passing, not a bug.
    return new HttpError(503, 'database_unavailable', 'The database is unavailable right now; try again in a few seconds', undefined, { 'retry-after': '5' });
  }
  if (typeof e.code === 'string' && PG_CODES[e.code]) {
    const known = PG_CODES[e.code]!;
    return new HttpError(known.status, known.code, known.message);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new HttpError(e.statusCode, 'bad_request', e.message ?? 'Bad request');
  }
  return undefined;
}

export function registerErrorHandling(app: FastifyInstance, options: { onUnmatched?: (request: FastifyRequest, reply: FastifyReply) => void } = {}): void {
  app.setErrorHandler((error, request: FastifyRequest, reply: FastifyReply) => {
    const known = classify(error);
    if (known) {
      if (known.statusCode >= 500) request.log.warn({ code: known.code, error: known.message }, 'request failed');
      return sendError(reply, known);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new HttpError(500, 'internal_error', `Something went wrong on our side; quote request id ${request.id} when reporting it`));
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new HttpError(404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
    options.onUnmatched?.(request, reply);
  });
}
