/**
 * The API reference, generated from the route schemas: every route registered after this
 * plugin is described (zod definitions converted by fastify-type-provider-zod), and the
 * document is served at `GET /api/openapi.json`. app/API.md is rendered from it.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';

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

export async function registerOpenApi(app: FastifyInstance, options: { release: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Slipway HTTP API',
        version: options.release,
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
  app.get(OPENAPI_PATH, { config: { telemetry: false }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return app.swagger();
  });
}
