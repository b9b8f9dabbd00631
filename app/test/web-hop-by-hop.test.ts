/**
 * The /api proxy removes hop-by-hop header fields both ways (RFC 9110 §7.6.1): the Connection
 * field, every field it names, and Keep-Alive, Proxy-Connection, TE, Transfer-Encoding and
 * Upgrade. Otherwise the API's `Connection: keep-alive` reaches a client that asked to close,
 * and a pooled keep-alive client reuses a socket the web server is closing. Checked through the
 * web server to the real API with Node's http.Agent and undici, several requests in a row, and
 * with the server-sent events stream.
 */
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWebConfig } from '../src/config/web.ts';
import { buildWebServer } from '../src/web/server.ts';
import { migrate } from '../../test/support/app.ts';
import { startTestApi } from '../../test/support/api.ts';
import { freePort, startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { createToken, signIn } from './support/auth.ts';

const APP_URL = 'http://localhost:7015';
const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'x-hop'];
// Transfer-Encoding on an answer is the web server's own framing of a streamed body.
const FORWARDED_HOP_BY_HOP = HOP_BY_HOP.filter((name) => name !== 'transfer-encoding');

let postgres: TestPostgres;
let api: Awaited<ReturnType<typeof startTestApi>>;
let web: FastifyInstance;
let webUrl: string;
let token: string;

beforeAll(async () => {
  postgres = await startPostgres();
  const databaseUrl = await postgres.createDatabase('hop');
  await migrate(databaseUrl);
  api = await startTestApi({ DATABASE_URL: databaseUrl, APP_URL });
  web = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: api.url }), pino({ level: 'silent' }));
  webUrl = await web.listen({ host: '127.0.0.1', port: 0 });
  const { cookie } = await signIn(api.url, 'hop@example.com');
  token = await createToken(api.url, cookie, APP_URL);
  const created = await fetch(`${api.url}/api/v1/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Hop', slug: 'hop', issueKey: 'HOP' }),
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await web?.close();
  await api?.stop();
  await postgres?.destroy();
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request through Node's http client on `agent`, reading the whole body. */
function viaNodeAgent(agent: HttpAgent, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${webUrl}${path}`, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the event stream on `agent` and returns its headers and the first event, then closes it. */
function firstEventViaNodeAgent(agent: HttpAgent, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${webUrl}/api/v1/workspaces/hop/events`, { agent, headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes('\n\n')) {
          resolve({ status: res.statusCode!, headers: res.headers, body });
          req.destroy();
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
    req.end();
  });
}

/** The answer carries only the web server's own hop-by-hop fields: it closes, as asked. */
function expectNoForwardedHopByHop(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): void {
  expect(FORWARDED_HOP_BY_HOP.filter((name) => headers[name] !== undefined)).toEqual([]);
  expect(headers.connection).toBe('close');
}

const settle = <T>(promise: Promise<T>) => promise.catch((error: Error) => error.message);

describe('a pooled keep-alive client sending Connection: close through the web server', () => {
  it("Node's http.Agent gets every answer, several requests in a row", async () => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const answers: (Answer | string)[] = [];
    try {
      for (let i = 0; i < 5; i++) answers.push(await settle(viaNodeAgent(agent, '/api/version', { connection: 'close' })));
    } finally {
      agent.destroy();
    }
    expect(answers.map((a) => (typeof a === 'string' ? a : a.status))).toEqual([200, 200, 200, 200, 200]);
    for (const answer of answers as Answer[]) {
      expect(JSON.parse(answer.body)).toHaveProperty('release');
      expectNoForwardedHopByHop(answer.headers);
    }
  });

  it('undici gets every answer, several requests in a row', async () => {
    const dispatcher = new UndiciAgent({ connections: 1 });
    const answers: (Answer | string)[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const send = async (): Promise<Answer> => {
          const answer = await undiciRequest(`${webUrl}/api/version`, { dispatcher, headers: { connection: 'close' } });
          return { status: answer.statusCode, headers: answer.headers, body: await answer.body.text() };
        };
        answers.push(await settle(send()));
      }
    } finally {
      await dispatcher.close();
    }
    expect(answers.map((a) => (typeof a === 'string' ? a : a.status))).toEqual([200, 200, 200, 200, 200]);
    for (const answer of answers as Answer[]) {
      expect(JSON.parse(answer.body)).toHaveProperty('release');
      expectNoForwardedHopByHop(answer.headers);
    }
  });

  it('the event stream arrives without the API hop-by-hop fields, and the pool keeps working after it', async () => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const stream = await firstEventViaNodeAgent(agent, { connection: 'close' });
        expect(stream.status).toBe(200);
        expect(stream.headers['content-type']).toContain('text/event-stream');
        expect(stream.body).toContain('event: ready');
        expectNoForwardedHopByHop(stream.headers);
        const after = await settle(viaNodeAgent(agent, '/api/v1/workspaces/hop', { connection: 'close', authorization: `Bearer ${token}` }));
        expect(typeof after === 'string' ? after : after.status).toBe(200);
      }
    } finally {
      agent.destroy();
    }
  });
});

describe('hop-by-hop fields in each direction', () => {
  let upstream: Server;
  let seen: IncomingHttpHeaders = {};
  let proxy: FastifyInstance;
  let proxyUrl: string;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      seen = req.headers;
      req.resume();
      // An upstream that names its own hop-by-hop fields, and streams its body (chunked).
      res.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'x-hop': 'for the web server only',
        'proxy-connection': 'keep-alive',
        upgrade: 'h2c',
        'x-end-to-end': 'kept',
      });
      res.write('first ');
      setTimeout(() => res.end('second'), 50);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => upstream.listen(port, '127.0.0.1', resolve));
    proxy = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: `http://127.0.0.1:${port}` }), pino({ level: 'silent' }));
    proxyUrl = await proxy.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await proxy?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('the request reaches the API without the client hop-by-hop fields', async () => {
    const agent = new HttpAgent({ keepAlive: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          `${proxyUrl}/api/echo`,
          {
            agent,
            headers: {
              connection: 'keep-alive, x-hop',
              'keep-alive': 'timeout=30',
              'x-hop': 'for the web server only',
              'proxy-connection': 'keep-alive',
              te: 'trailers',
              upgrade: 'h2c',
              'x-end-to-end': 'kept',
            },
          },
          (res) => res.resume().on('end', resolve),
        );
        req.on('error', reject);
        req.end();
      });
    } finally {
      agent.destroy();
    }
    expect(HOP_BY_HOP.filter((name) => seen[name] !== undefined)).toEqual([]);
    expect(seen.connection).not.toMatch(/x-hop/);
    expect(seen['x-end-to-end']).toBe('kept');
  });

  it('the answer reaches the client without the API hop-by-hop fields, body streamed whole', async () => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await new Promise<Answer>((resolve, reject) => {
          const req = httpRequest(`${proxyUrl}/api/stream`, { agent, headers: { connection: 'close' } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
          });
          req.on('error', reject);
          req.end();
        });
        expect(answer.body).toBe('first second');
        expect(answer.headers['x-end-to-end']).toBe('kept');
        expectNoForwardedHopByHop(answer.headers);
      }
    } finally {
      agent.destroy();
    }
  });
});
