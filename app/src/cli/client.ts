/**
 * The CLI's HTTP client: `fetch` against SLIPWAY_API_URL with `Authorization: Bearer pat_…`.
 * Errors carry the API's own code and message (`{error:{code,message,issues}}`).
 */

export interface ClientOptions {
  /** Base URL of the app or the API, e.g. `http://localhost:7015`; a trailing `/api` is accepted. */
  readonly baseUrl: string;
  /** A personal access token (`pat_…`). */
  readonly token?: string;
  /** Milliseconds before a request is abandoned. @default 10000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all (refused, DNS, timeout). */
export class NetworkError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Could not reach ${url}: ${reason}`);
    this.name = 'NetworkError';
  }
}

/** Validates and normalises SLIPWAY_API_URL; throws with the fix when it is unusable. */
export function normaliseBaseUrl(raw: string | undefined): string {
  if (!raw || !raw.trim()) {
    throw new Error('SLIPWAY_API_URL is not set. Set it to your Slipway address, e.g. SLIPWAY_API_URL=http://localhost:7015');
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(`SLIPWAY_API_URL is not a valid URL: "${raw}". Use a full address such as http://localhost:7015`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`SLIPWAY_API_URL must start with http:// or https:// (got "${url.protocol}")`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/api')) path = path.slice(0, -4);
  return `${url.origin}${path}`;
}

function describeNetworkError(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  return err.cause?.message ?? err.message ?? String(error);
}

export interface RawResponse {
  readonly status: number;
  readonly body: unknown;
}

export class SlipwayClient {
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = normaliseBaseUrl(options.baseUrl);
    this.token = options.token?.trim() || undefined;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** Any answer, successful or not; throws only when the server cannot be reached. */
  async raw(method: string, path: string, body?: unknown, auth = true): Promise<RawResponse> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth && this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new NetworkError(url, describeNetworkError(error));
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the error message
    }
    return { status: response.status, body: parsed };
  }

  /** A successful JSON answer, or an ApiError with the API's message. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, body: data } = await this.raw(method, path, body);
    if (status >= 200 && status < 300) return data as T;
    const error = (data as { error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } })?.error;
    if (error?.message) throw new ApiError(status, error.code ?? `http_${status}`, error.message, error.issues ?? []);
    const snippet = typeof data === 'string' && data ? `: ${data.slice(0, 200)}` : '';
    throw new ApiError(status, `http_${status}`, `The server answered HTTP ${status}${snippet}`);
  }
}
