/**
 * The web server: forwards /api/* to the API unchanged and unbuffered (server-sent events
 * arrive as they are written), tells the API who the client is, and serves the UI as a
 * single-page app.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWebConfig } from '../src/config/web.ts';
import { buildWebServer } from '../src/web/server.ts';
import { freePort } from '../../test/support/servers.ts';

let upstream: Server;
let upstreamUrl: string;
let web: FastifyInstance;
let webUrl: string;
let staticDir: string;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/api/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: ready\ndata: {}\n\n');
      setTimeout(() => {
        res.write('data: second\n\n');
        res.end();
      }, 1500);
      return;
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, method: req.method, headers: req.headers, body }));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => upstream.listen(port, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${port}`;

  staticDir = mkdtempSync(join(tmpdir(), 'slipway-ui-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Slipway</title><div id="root"></div>');
  writeFileSync(join(staticDir, 'assets', 'app-1a2b3c.js'), 'console.log(1)');

  web = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: upstreamUrl, SLIPWAY_STATIC_DIR: staticDir, SLIPWAY_RELEASE: 'r42' }), pino({ level: 'silent' }));
  webUrl = await web.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await web?.close();
  await new Promise((r) => upstream?.close(r));
  rmSync(staticDir, { recursive: true, force: true });
});

describe('the /api proxy', () => {
  it('forwards the path and query unchanged with X-Forwarded-* set', async () => {
    const res = await fetch(`${webUrl}/api/v1/workspaces/eng/issues?status=open&limit=5`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    const echoed = (await res.json()) as any;
    expect(echoed.url).toBe('/api/v1/workspaces/eng/issues?status=open&limit=5');
    // Loopback is a trusted proxy by default, so the chain it reports is kept.
    expect(echoed.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(echoed.headers['x-forwarded-proto']).toBe('http');
    expect(echoed.headers['x-forwarded-host']).toBe(new URL(webUrl).host);
  });

  it('does not believe X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const strict = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: upstreamUrl, TRUSTED_PROXY_CIDRS: '10.0.0.0/8' }), pino({ level: 'silent' }));
    try {
      const url = await strict.listen({ host: '127.0.0.1', port: 0 });
      const echoed = (await (await fetch(`${url}/api/x`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } })).json()) as any;
      expect(echoed.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(echoed.headers['x-forwarded-proto']).toBe('http');
    } finally {
      await strict.close();
    }
  });

  it('streams request bodies through, whatever their content type', async () => {
    const res = await fetch(`${webUrl}/api/v1/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"hello"}' });
    const echoed = (await res.json()) as any;
    expect(echoed).toMatchObject({ method: 'POST', body: '{"title":"hello"}' });
    expect(echoed.headers['content-type']).toBe('application/json');
  });

  it('delivers server-sent events as they are written, without buffering', async () => {
    const started = Date.now();
    const res = await fetch(`${webUrl}/api/stream`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const firstAfterMs = Date.now() - started;
    expect(first).toContain('event: ready');
    // The upstream writes the second event 1.5 s later; the first must not wait for it.
    expect(firstAfterMs).toBeLessThan(1000);
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toContain('data: second');
  });

  it('answers 502 JSON when the API is down', async () => {
    const port = await freePort();
    const orphan = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: `http://127.0.0.1:${port}`, SLIPWAY_STATIC_DIR: staticDir }), pino({ level: 'silent' }));
    try {
      const res = await orphan.inject({ url: '/api/readyz' });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe('api_unavailable');
    } finally {
      await orphan.close();
    }
  });
});

describe('the UI', () => {
  it('has its own health check with the release', async () => {
    const res = await fetch(`${webUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', release: 'r42' });
  });

  it('serves index.html for any page path, uncached, with security headers', async () => {
    for (const path of ['/', '/w/eng/issues/ENG-4']) {
      const res = await fetch(`${webUrl}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('caches hashed assets for good', async () => {
    const res = await fetch(`${webUrl}/assets/app-1a2b3c.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers a JSON 404 for non-page requests', async () => {
    const res = await fetch(`${webUrl}/nothing`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('not_found');
  });

  it('without a built UI serves a status page with the release', async () => {
    const bare = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: upstreamUrl, SLIPWAY_STATIC_DIR: join(staticDir, 'missing'), SLIPWAY_RELEASE: 'r7' }), pino({ level: 'silent' }));
    try {
      const res = await bare.inject({ url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Release <code>r7</code>');
    } finally {
      await bare.close();
    }
  });
});
