/**
 * The API reference is generated from the route schemas: GET /api/openapi.json describes every
 * route, and app/API.md is exactly its rendering (so a route or shape change without
 * `npm run api-docs` fails here).
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_MD } from '../../api-docs.ts';
import { openApiDocument } from '../../src/api/openapi-document.ts';
import { renderApiMarkdown } from '../../src/api/openapi-markdown.ts';
import { buildApiServer, type ApiDependencies } from '../../src/api/server.ts';
import { registerV1 } from '../../src/api/v1/index.ts';
import { loadApiConfig } from '../../src/config/api.ts';
import { createPool } from '../../src/db/pool.ts';

const config = loadApiConfig({ SLIPWAY_ENV: 'test', DATABASE_URL: 'postgres://docs@127.0.0.1:9/docs' });
const log = pino({ level: 'silent' });
const pool = createPool(config.database, log);
const deps: ApiDependencies = { config, pool, log, migrations: [], lifecycle: { draining: false } };
const routes: string[] = [];
let app: Awaited<ReturnType<typeof buildApiServer>>;

beforeAll(async () => {
  app = await buildApiServer(deps, async (instance) => {
    instance.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
    });
    await registerV1(instance, deps);
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await pool.end();
});

describe('GET /api/openapi.json', () => {
  it('describes every /api/v1 route with its method', async () => {
    const res = await app.inject({ url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const document = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    const described = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const v1 = routes.filter((r) => r.includes(' /api/v1'));
    expect(v1.length).toBeGreaterThanOrEqual(30);
    expect(described).toEqual(expect.arrayContaining(v1));
  });

  it('names the shared shapes and refers to them from the routes', async () => {
    const document = (await app.inject({ url: '/api/openapi.json' })).json() as any;
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Issue', 'Comment', 'Workspace', 'Member', 'Error', 'IssuePage']));
    expect(document.components.schemas.Issue.required).toContain('authorId');
    expect(document.paths['/api/v1/workspaces/{slug}/issues'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/IssuePage',
    });
    // No unreferenced twins of the shapes.
    expect(Object.keys(document.components.schemas).filter((name) => name.endsWith('Input'))).toEqual([]);
  });
});

describe('app/API.md', () => {
  it('is the rendering of the OpenAPI document (run npm run api-docs after changing a route)', async () => {
    const rendered = renderApiMarkdown(await openApiDocument());
    expect(readFileSync(API_MD, 'utf8'), 'app/API.md is out of date: run npm run api-docs').toBe(rendered);
  });
});
