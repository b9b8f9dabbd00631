/**
 * A loopback HTTP proxy in front of moto that lets a test see each AWS call after moto has
 * answered it, and act on it: moto is the control plane (state, validation, error codes); the
 * hooks add what it has no data plane for (a container that runs, a database engine that
 * learns a new password). Hooks may rewrite an answer only to fill in what moto leaves out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsCall {
  /** The API operation, e.g. `RunTask` or `ModifyDBInstance`. */
  readonly operation: string;
  /** The signing service from the Authorization header, e.g. `ecs`, `rds`. */
  readonly service: string;
  /** JSON-protocol body, or the form fields of a query-protocol call. */
  readonly input: Record<string, unknown>;
  readonly status: number;
  /** The parsed JSON answer (JSON protocol), else undefined. */
  readonly output?: Record<string, unknown>;
}

/** Runs after moto answered; may return a replacement JSON answer. */
export type CallHook = (call: AwsCall) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

/**
 * Runs after moto answered a call of any protocol, on the raw body; may return a replacement
 * body (for XML answers that leave out what moto cannot create, e.g. a resource's physical id).
 */
export type BodyHook = (call: AwsCall, body: string) => Promise<string | void> | string | void;

export interface MotoProxy {
  readonly endpoint: string;
  /** Registers a hook for an operation of a service (`ecs`, `RunTask`). */
  on(service: string, operation: string, hook: CallHook): void;
  /** Registers a raw-body hook for an operation of a service. */
  rewrite(service: string, operation: string, hook: BodyHook): void;
  /** Every call seen, oldest first (operation names only, for assertions). */
  readonly calls: string[];
  close(): Promise<void>;
}

function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function describeCall(req: http.IncomingMessage, body: Buffer): { service: string; operation: string; input: Record<string, unknown> } {
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? '';
  const target = req.headers['x-amz-target'];
  const text = body.toString('utf8');
  if (typeof target === 'string') {
    let input: Record<string, unknown> = {};
    try {
      input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // not JSON: leave the input empty
    }
    return { service, operation: target.split('.').pop() ?? target, input };
  }
  if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const form = Object.fromEntries(new URLSearchParams(text));
    return { service, operation: String(form.Action ?? ''), input: form };
  }
  return { service, operation: `${req.method} ${req.url}`, input: {} };
}

export async function startMotoProxy(motoEndpoint: string): Promise<MotoProxy> {
  const upstream = new URL(motoEndpoint);
  const hooks = new Map<string, CallHook[]>();
  const bodyHooks = new Map<string, BodyHook[]>();
  const calls: string[] = [];
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const call = describeCall(req, body);
      calls.push(call.operation);
      const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const out = http.request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
          async (r) => resolve({ status: r.statusCode ?? 500, headers: r.headers, body: await readBody(r) }),
        );
        out.on('error', reject);
        out.end(body);
      });
      let replyBody = answer.body;
      const registered = hooks.get(`${call.service}:${call.operation}`) ?? [];
      if (registered.length && answer.status < 300) {
        let output: Record<string, unknown> | undefined;
        try {
          output = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
        } catch {
          output = undefined;
        }
        for (const hook of registered) {
          const replaced = await hook({ ...call, status: answer.status, output });
          if (replaced) {
            output = replaced;
            replyBody = Buffer.from(JSON.stringify(replaced));
          }
        }
      }
      if (answer.status < 300) {
        for (const hook of bodyHooks.get(`${call.service}:${call.operation}`) ?? []) {
          const replaced = await hook({ ...call, status: answer.status }, replyBody.toString('utf8'));
          if (replaced !== undefined) replyBody = Buffer.from(replaced);
        }
      }
      const headers = { ...answer.headers, 'content-length': String(replyBody.length) };
      delete headers['transfer-encoding'];
      res.writeHead(answer.status, headers);
      res.end(replyBody);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`moto proxy: ${(error as Error).stack ?? String(error)}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    on(service, operation, hook) {
      const key = `${service}:${operation}`;
      hooks.set(key, [...(hooks.get(key) ?? []), hook]);
    },
    rewrite(service, operation, hook) {
      const key = `${service}:${operation}`;
      bodyHooks.set(key, [...(bodyHooks.get(key) ?? []), hook]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}
