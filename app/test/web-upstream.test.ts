/**
 * The web server's upstream (WEB_API_UPSTREAM_URL) must not be the web server itself: it
 * refuses to start when it is, even under another name, and a loop that forms later is
 * answered 508 after one hop instead of forwarding the same request again and again.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/env.ts';
import { loadWebConfig } from '../src/config/web.ts';
import { buildWebServer, startWeb } from '../src/web/server.ts';
import { VIA_NAME } from '../src/web/proxy.ts';
import { freePort } from '../../test/support/servers.ts';

const silent = pino({ level: 'silent' });
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A TCP forwarder on `port` to `target`: the web server under another address. */
async function forwarder(port: number, target: number): Promise<{ connections: () => number }> {
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(target, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { connections: () => connections };
}

describe('the web server upstream', () => {
  it('refuses to start when its upstream leads back to itself under another address', async () => {
    const [webPort, aliasPort] = [await freePort(), await freePort()];
    await forwarder(aliasPort, webPort);
    const config = loadWebConfig({ HOST: '127.0.0.1', WEB_PORT: String(webPort), WEB_API_UPSTREAM_URL: `http://127.0.0.1:${aliasPort}`, SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0' });
    const started = startWeb(config, silent);
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(
      `WEB_API_UPSTREAM_URL (http://127.0.0.1:${aliasPort}) leads back to this web server; set it to the API's address, e.g. http://127.0.0.1:7016`,
    );
    // It let go of its port again.
    await expect(fetch(`http://127.0.0.1:${webPort}/health`)).rejects.toThrow();
  });

  it('starts when the API is not up yet (the probe finds no loop)', async () => {
    const config = loadWebConfig({ HOST: '127.0.0.1', WEB_PORT: '0', WEB_API_UPSTREAM_URL: `http://127.0.0.1:${await freePort()}`, SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0' });
    const web = await startWeb(config, silent);
    cleanup.push(() => web.shutdown('test'));
    expect((await fetch(`${web.url}/health`)).status).toBe(200);
  });

  it('answers 508 after one hop when a request comes back to it', async () => {
    const [webPort, aliasPort] = [await freePort(), await freePort()];
    const alias = await forwarder(aliasPort, webPort);
    const web = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: `http://127.0.0.1:${aliasPort}` }), silent);
    cleanup.push(() => web.close());
    await web.listen({ host: '127.0.0.1', port: webPort });
    const res = await fetch(`http://127.0.0.1:${webPort}/api/v1/me`);
    expect(res.status).toBe(508);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('proxy_loop');
    expect(alias.connections()).toBe(1);
  });

  it('adds its own Via entry to what it forwards, after the ones before it', async () => {
    let seen: string | undefined;
    const upstream: HttpServer = createHttpServer((req, res) => {
      seen = req.headers.via;
      res.end('{}');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => upstream.listen(port, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => upstream.close(resolve)));
    const web = await buildWebServer(loadWebConfig({ LOG_LEVEL: 'silent', WEB_API_UPSTREAM_URL: `http://127.0.0.1:${port}` }), silent);
    cleanup.push(() => web.close());
    const url = await web.listen({ host: '127.0.0.1', port: 0 });
    await (await fetch(`${url}/api/x`, { headers: { via: '1.1 edge-proxy' } })).text();
    expect(seen).toBe(`1.1 edge-proxy, 1.1 ${VIA_NAME}`);
    expect(VIA_NAME).toMatch(/^slipway-web-[0-9a-f]{12}$/);
  });
});
