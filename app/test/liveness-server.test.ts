/**
 * Liveness answered before the router: the same answer the fastify route gives, on a real
 * socket, and every other request (or liveness once the server is closing) left to fastify.
 */
import { request as httpRequest } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createLivenessServer, LIVENESS_BODY } from '../src/api/liveness-server.ts';

const state = { draining: false, closing: false };
let app: FastifyInstance | undefined;

async function start(): Promise<string> {
  app = Fastify({
    serverFactory: (handler, options) => createLivenessServer(handler, options, { isDraining: () => state.draining, isClosing: () => state.closing }),
    return503OnClosing: true,
  });
  // Marks what fastify answered, so a test can tell the two paths apart.
  app.get('/api/health', async (_request, reply) => reply.header('x-answered-by', 'fastify').send({ status: 'ok' }));
  app.get('/api/healthz', async (_request, reply) => reply.header('x-answered-by', 'fastify').send({ status: 'ok' }));
  return app.listen({ host: '127.0.0.1', port: 0 });
}

afterEach(async () => {
  state.draining = false;
  state.closing = false;
  await app?.close();
  app = undefined;
});

describe('liveness before the router', () => {
  it('answers GET /api/health and /health itself, with the body, type, length and request id of the route', async () => {
    const url = await start();
    for (const path of ['/api/health', '/health']) {
      const res = await fetch(`${url}${path}`, { headers: { 'x-request-id': 'probe-1' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-answered-by')).toBeNull();
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('content-length')).toBe(String(LIVENESS_BODY.length));
      expect(res.headers.get('x-request-id')).toBe('probe-1');
      expect(await res.text()).toBe('{"status":"ok"}');
    }
    const made = await fetch(`${url}/api/health`, { headers: { 'x-request-id': 'not a token' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('leaves every other request to fastify: HEAD, a query string, another path, another method', async () => {
    const url = await start();
    for (const [method, path] of [
      ['HEAD', '/api/health'],
      ['GET', '/api/health?verbose=1'],
      ['GET', '/api/healthz'],
    ] as const) {
      const res = await fetch(`${url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(200);
      expect(res.headers.get('x-answered-by'), `${method} ${path}`).toBe('fastify');
    }
    expect((await fetch(`${url}/api/health`, { method: 'POST' })).status).toBe(404);
  });

  it('closes the connection of each answer while draining', async () => {
    const url = await start();
    state.draining = true;
    const { port } = new URL(url);
    const closed = await new Promise<{ connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/health', agent: false, headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(closed.connection).toBe('close');
  });

  it('leaves liveness to fastify once the server is closing (fastify answers 503 then)', async () => {
    const url = await start();
    state.closing = true;
    const res = await fetch(`${url}/api/health`);
    expect(res.headers.get('x-answered-by')).toBe('fastify');
  });

  it('keeps fastify\'s server settings: keep-alive longer than the load balancer\'s 60 s idle timeout', async () => {
    await start();
    expect(app!.server.keepAliveTimeout).toBe(72_000);
  });

  it('serves a pooled keep-alive client that mixes both paths on one connection', async () => {
    const url = await start();
    let connections = 0;
    app!.server.on('connection', () => connections++);
    const agent = new Agent({ connections: 1, pipelining: 1 });
    try {
      for (let i = 0; i < 50; i++) {
        const res = await undiciFetch(`${url}${i % 2 ? '/api/health' : '/api/healthz'}`, { dispatcher: agent });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ status: 'ok' });
      }
      // One connection throughout: every answer, from either path, kept it usable.
      expect(connections).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
