/**
 * The API reference, generated from the route schemas: every route registered after this
 * plugin is described (zod definitions converted by fastify-type-provider-zod), and the
 * document is served at `GET /api/openapi.json`. app/API.md is rendered from it.
 *
 * The generator (@fastify/swagger and its YAML and reference-resolver dependencies) is a
 * sizeable share of the bundle, so start-up only records each route's method, path, schema
 * and config; the first request for the document loads the generator, registers the same
 * routes on a server of its own that never listens, and keeps the result.
 */
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { serializerCompiler, validatorCompiler } from './schema.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenAPI document of the routes registered so far (made on first call, then kept). */
    openApiDocument(): Promise<OpenAPIV3_1.Document>;
  }
}

export const OPENAPI_PATH = '/api/openapi.json';

const componentsOf = createJsonSchemaTransformObject({ zodToJsonConfig: { unrepresentable: 'any' } });

/** Drops named schemas nothing refers to (the converter adds an input twin of every output shape). */
function withoutUnusedSchemas<T extends { paths?: unknown; components?: { schemas?: Record<string, unknown> } }>(document: T): T {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const used = new Set<string>();
  const visit = (value: unknown) => {
    for (const match of JSON.stringify(value).matchAll(/#\/components\/schemas\/([\w.-]+)/g)) {
      if (!used.has(match[1]!)) {
        used.add(match[1]!);
        visit(schemas[match[1]!]);
      }
    }
  };
  visit(document.paths);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...document, components: { ...document.components, schemas: kept } };
}

type RecordedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>;

async function generate(routes: RecordedRoute[], release: string): Promise<OpenAPIV3_1.Document> {
  const { default: swagger } = await import('@fastify/swagger');
  const docs = Fastify();
  docs.setValidatorCompiler(validatorCompiler);
  docs.setSerializerCompiler(serializerCompiler);
  await docs.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Slipway HTTP API',
        version: release,
        description: 'Every answer that is not a success has the shape {"error":{"code","message","issues"?}}.',
      },
      components: {
        securitySchemes: {
          token: { type: 'http', scheme: 'bearer', description: 'a personal access token, pat_…' },
          session: { type: 'apiKey', in: 'cookie', name: 'slipway_session' },
        },
      },
      security: [{ token: [] }, { session: [] }],
    },
    // Transforms and refinements describe their input; what cannot be described becomes "any".
    transform: createJsonSchemaTransform({ skipList: [OPENAPI_PATH], zodToJsonConfig: { unrepresentable: 'any' } }),
    // Shapes with an id (json.ts) become components/schemas and are referenced by name.
    transformObject: (input) => withoutUnusedSchemas(componentsOf(input)),
  });
  // GET routes bring their HEAD twins again, as they did on the API server.
  for (const route of routes) docs.route({ ...route, handler: async () => undefined });
  await docs.ready();
  try {
    return docs.swagger() as OpenAPIV3_1.Document;
  } finally {
    await docs.close();
  }
}

export function registerOpenApi(app: FastifyInstance, options: { release: string }): void {
  const routes: RecordedRoute[] = [];
  app.addHook('onRoute', (route) => {
    // HEAD twins of GET routes are made by fastify and are not part of the reference.
    if (route.method === 'HEAD') return;
    routes.push({ method: route.method, url: route.url, schema: route.schema, config: route.config });
  });
  let document: Promise<OpenAPIV3_1.Document> | undefined;
  app.decorate('openApiDocument', () => {
    document ??= generate(routes, options.release);
    // A failure is not kept: the next request tries again.
    document.catch(() => (document = undefined));
    return document;
  });
  app.get(OPENAPI_PATH, { config: { telemetry: false }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return app.openApiDocument();
  });
}
