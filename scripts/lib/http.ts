/**
 * A small HTTP(S) client for the smoke gate: no redirects followed (the gate checks them),
 * a per-request timeout, an optional extra CA, and a reader for server-sent events.
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface HttpRequest {
  readonly url: URL;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** Extra trusted CA certificates (PEM), added to the system roots. */
  readonly ca?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A failure below HTTP: refused, reset, timed out, TLS. `code` is Node's error code. */
export class NetworkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

/** Network failures worth retrying: the service may be starting or a target draining. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'TIMEOUT',
]);

export function isTransientNetworkError(error: unknown): boolean {
  return error instanceof NetworkError && TRANSIENT_CODES.has(error.code);
}

function agentOptions(request: HttpRequest): https.RequestOptions {
  return request.ca ? { ca: [...rootCertificates, request.ca] } : {};
}

function toNetworkError(error: NodeJS.ErrnoException, url: URL): NetworkError {
  const code = error.code ?? 'UNKNOWN';
  return new NetworkError(code, `${url.protocol}//${url.host}: ${code === 'TIMEOUT' ? 'no answer in time' : error.message} (${code})`);
}

function open(request: HttpRequest): Promise<http.IncomingMessage & { req: http.ClientRequest }> {
  const { url } = request;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: request.method ?? 'GET',
        headers: { 'user-agent': 'slipway-smoke/1', ...request.headers },
        agent: false,
        ...agentOptions(request),
      },
      (res) => resolve(Object.assign(res, { req })),
    );
    req.setTimeout(request.timeoutMs, () => {
      const err = Object.assign(new Error('timeout'), { code: 'TIMEOUT' });
      req.destroy(err);
    });
    req.on('error', (error: NodeJS.ErrnoException) => reject(toNetworkError(error, url)));
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

export async function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const res = await open(request);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', resolve);
    res.on('error', (error: NodeJS.ErrnoException) => reject(toNetworkError(error, request.url)));
    res.req.on('error', (error: NodeJS.ErrnoException) => reject(toNetworkError(error, request.url)));
  });
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
}

export interface EventStreamResult {
  readonly status: number;
  readonly contentType: string;
  /** The first event name, `heartbeat` for a `:` comment, or undefined when nothing came in time. */
  readonly first?: string;
  /** The server ended the stream (or it broke) before its first event: a broken handler, not a slow one. */
  readonly closed?: boolean;
  readonly body?: string;
}

/**
 * Opens a server-sent-events stream and waits up to `firstEventMs` for the first complete event
 * or comment line, then closes it.
 */
export async function readFirstEvent(request: HttpRequest, firstEventMs: number): Promise<EventStreamResult> {
  const res = await open({ ...request, headers: { accept: 'text/event-stream', ...request.headers } });
  const status = res.statusCode ?? 0;
  const contentType = String(res.headers['content-type'] ?? '');
  if (status !== 200 || !contentType.startsWith('text/event-stream')) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status, contentType, body: Buffer.concat(chunks).toString('utf8').slice(0, 500) };
  }
  return new Promise((resolve) => {
    let buffer = '';
    let done = false;
    const finish = (first?: string, closed = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      res.removeAllListeners('data');
      res.req.destroy();
      resolve({ status, contentType, first, ...(first === undefined && closed ? { closed } : {}) });
    };
    const timer = setTimeout(() => finish(undefined), firstEventMs);
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const first = firstEvent(buffer);
      if (first) finish(first);
    });
    res.on('error', () => finish(undefined, true));
    // A last block without its blank line still counts; an empty stream is no event at all.
    res.on('end', () => finish(buffer.trim() ? firstEvent(`${buffer}\n\n`) : undefined, true));
  });
}

/** The first complete SSE block: its `event:` name (`message` by default) or `heartbeat` for a comment. */
export function firstEvent(text: string): string | undefined {
  const normalized = text.replace(/\r\n?/g, '\n');
  const end = normalized.indexOf('\n\n');
  const firstLine = normalized.split('\n')[0] ?? '';
  if (firstLine.startsWith(':') && normalized.includes('\n')) return 'heartbeat';
  if (end < 0) return undefined;
  const block = normalized.slice(0, end).split('\n');
  if (block.every((l) => l.startsWith(':'))) return 'heartbeat';
  const name = block.find((l) => l.startsWith('event:'));
  return name ? name.slice('event:'.length).trim() : 'message';
}
