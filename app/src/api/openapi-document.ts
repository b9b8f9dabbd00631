/** The OpenAPI document of this build, made without a database or a listening socket. */
import type { OpenAPIV3_1 } from 'openapi-types';
import pino from 'pino';
import { loadApiConfig } from '../config/api.ts';
import { createPool } from '../db/pool.ts';
import { buildApiServer, type ApiDependencies } from './server.ts';
import { registerV1 } from './v1/index.ts';

export async function openApiDocument(): Promise<OpenAPIV3_1.Document> {
  // The pool is never asked for a connection: routes are only registered, not called.
  const config = loadApiConfig({ SLIPWAY_ENV: 'test', SLIPWAY_RELEASE: 'v1', DATABASE_URL: 'postgres://docs@127.0.0.1:9/docs' });
  const log = pino({ level: 'silent' });
  const pool = createPool(config.database, log);
  const deps: ApiDependencies = { config, pool, log, migrations: [], lifecycle: { draining: false } };
  const app = await buildApiServer(deps, (instance) => registerV1(instance, deps));
  try {
    await app.ready();
    return await app.openApiDocument();
  } finally {
    await app.close();
    await pool.end();
  }
}
