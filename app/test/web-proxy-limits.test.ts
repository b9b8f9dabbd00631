/**
 * The /api proxy under a client or an API that does not keep up: a download whose client stops
 * reading ends that one connection, not the web server; a slow API answer is waited for as long
 * as the proxy's own bound (not reply-from's hidden 10 s); a body over the API's limit gets the
 * API's 413 instead of a 502 from the half-sent upload.
 */
import { once } from 'node:events';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_TIMEOUTS } from '../src/db/pool.ts';
import { loadWebConfig, type WebConfig } from '../src/config/web.ts';
import { API_SILENCE_TIMEOUT_MS } from '../src/web/proxy.ts';
import { buildWebServer } from '../src/web/server.ts';

const CHUNK = Buffer.alloc(64 * 1024, 'x');
const HUGE_BYTES = 512 * 1024 * 1024;
let upstream: Server;
let upstreamUrl: string;
const seen: string[] = [];
/** Resolves when the API's side of the huge download closes, with whether it was complete. */
let hugeClosed: Promise<boolean> = Promise.resolve(false);

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/api/huge') {
      // Far more than every socket buffer between here and the client holds.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': HUGE_BYTES });
      let sent = 0;
      hugeClosed = new Promise((resolve) => res.once('close', () => resolve(res.writableFinished)));
      const pump = () => {
        while (sent < HUGE_BYTES && !res.destroyed) {
          sent += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (req.url?.startsWith('/api/slow')) {
      const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms'));
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":true}'), ms);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes })));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

async function webServer(env: Record<string, string>, adjust: Partial<WebConfig> = {}): Promise<{ web: FastifyInstance; url: string; port: number }> {
  const config = { ...loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: upstreamUrl, ...env }), ...adjust };
  const web = await buildWebServer(config, pino({ level: 'silent' }));
  const url = await web.listen({ host: '127.0.0.1', port: 0 });
  return { web, url, port: Number(new URL(url).port) };
}

describe('a download whose client stops reading', () => {
  it('ends that connection once the API side has been silent for the bound, and the web server keeps serving', async () => {
    const { web, url, port } = await webServer({}, { apiSilenceTimeoutMs: 300 });
    try {
      const client = connect(port, '127.0.0.1');
      client.write('GET /api/huge HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const [first] = (await once(client, 'data')) as [Buffer];
      expect(first.toString('latin1')).toMatch(/^HTTP\/1\.1 200/);
      client.pause(); // a client that stops reading: everything behind it backs up to the API
      const released = await Promise.race([hugeClosed.then((complete) => (complete ? 'complete' : 'released')), new Promise((r) => setTimeout(() => r('still held'), 10_000))]);
      expect(released).toBe('released');
      // The client's connection was ended too: what it reads now stops short of the body.
      let received = first.length;
      client.on('data', (chunk: Buffer) => (received += chunk.length));
      client.resume();
      await once(client, 'close');
      expect(received).toBeLessThan(HUGE_BYTES);
      // The process is still here and answering (before, the second error answer threw in a
      // timer and ended the process).
      expect((await fetch(`${url}/health`)).status).toBe(200);
    } finally {
      await web.close();
    }
  });
});

describe('a slow API answer', () => {
  it('is waited for up to the configured bound and answered 504 past it', async () => {
    const { web, url } = await webServer({}, { apiSilenceTimeoutMs: 800 });
    try {
      const inTime = await fetch(`${url}/api/slow?ms=300`);
      expect(inTime.status).toBe(200);
      expect(await inTime.json()).toEqual({ slow: true });
      const started = performance.now();
      const late = await fetch(`${url}/api/slow?ms=5000`);
      expect(late.status).toBe(504);
      expect((await late.json()).error.code).toBe('api_unavailable');
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await web.close();
    }
  });

  it('by default outlasts every limit the API puts on its own work, so the API answers first', () => {
    expect(API_SILENCE_TIMEOUT_MS).toBeGreaterThan(DATABASE_TIMEOUTS.statementMs);
    expect(API_SILENCE_TIMEOUT_MS).toBeGreaterThan(DATABASE_TIMEOUTS.readMs);
  });
});

describe('a body over the API limit', () => {
  /** A POST through a keep-alive agent, with the socket it went over. */
  function post(agent: Agent, url: string, body: Buffer): Promise<{ status: number; json: unknown; socket: unknown }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${url}/api/v1/workspaces/eng/issues`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text), socket: req.socket }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('gets a 413 naming BODY_LIMIT_BYTES without reaching the API, and the pooled connection stays usable', async () => {
    const { web, url } = await webServer({ BODY_LIMIT_BYTES: '2048' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      seen.length = 0;
      const refused = await post(agent, url, Buffer.alloc(300_000, 'a'));
      expect(refused.status).toBe(413);
      expect(refused.json).toEqual({ error: { code: 'payload_too_large', message: 'The body is 300000 bytes; the API accepts at most 2048 (BODY_LIMIT_BYTES)' } });
      expect(seen).toEqual([]);
      const accepted = await post(agent, url, Buffer.alloc(2048, 'a'));
      expect(accepted.status).toBe(200);
      expect(accepted.json).toEqual({ bytes: 2048 });
      expect(accepted.socket).toBe(refused.socket);
    } finally {
      agent.destroy();
      await web.close();
    }
  });

  it('is refused as BODY_LIMIT_BYTES says when the setting is bad', () => {
    expect(() => loadWebConfig({ BODY_LIMIT_BYTES: 'lots' })).toThrow(/BODY_LIMIT_BYTES/);
  });
});
