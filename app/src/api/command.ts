/**
 * `slipway api`: parses the settings, starts the API and stops it on SIGTERM/SIGINT. The bundle
 * runs this module as its own CommonJS script (dist/api.cjs, see launch.ts); from source it is
 * imported like any other.
 */
import { devNull } from 'node:os';
import pino from 'pino';
import { onSignals, reportStartFailure } from '../commands.ts';
import { loadApiConfig } from '../config/api.ts';
import { createLogger } from '../logger.ts';
import type { CodeCacheState } from '../code-cache.ts';
import { startApi } from './run.ts';

export interface ApiCommandOptions {
  /** What became of the code cache the script was loaded with (absent when run from source). */
  readonly codeCache?: CodeCacheState;
}

/** Runs the api; resolves -1 once it serves (the process then exits on a signal), or an exit code. */
export async function runApiCommand(options: ApiCommandOptions = {}): Promise<number> {
  try {
    const config = loadApiConfig();
    const log = createLogger({ level: config.logLevel, name: 'api' });
    const api = await startApi(config, log, { codeCache: options.codeCache });
    onSignals((signal) => api.shutdown(signal));
    return -1;
  } catch (error) {
    return reportStartFailure('api', error);
  }
}

/**
 * Start-up and first requests of the api, in-process and with nothing to connect to, so that a
 * code cache made afterwards holds what a real start compiles: the settings, the server with
 * every route, and a health check, a readiness probe and an authenticated request through the
 * HTTP server. The database is a closed port on loopback (readiness answers 503 at once) and
 * there is no Redis; the process's own environment is not read, so the image's settings play
 * no part.
 */
export async function warmUpApi(): Promise<void> {
  const config = loadApiConfig({
    SLIPWAY_ENV: 'development',
    HOST: '127.0.0.1',
    API_PORT: '0',
    DATABASE_URL: 'postgres://slipway@127.0.0.1:1/slipway',
    SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0',
  });
  // Lines are formatted and written as they are in production, to nowhere.
  const log = createLogger({ level: 'info', name: 'api', destination: pino.destination({ dest: devNull, sync: true }) });
  const api = await startApi(config, log);
  try {
    const token = `pat_${'w'.repeat(43)}`;
    for (const [path, headers] of [
      ['/api/health', {}],
      ['/api/readyz', {}],
      ['/api/v1/workspaces/warm-up/issues?limit=50', { authorization: `Bearer ${token}` }],
    ] as const) {
      const response = await fetch(`${api.url}${path}`, { headers });
      await response.arrayBuffer();
    }
  } finally {
    await api.shutdown('code cache written');
  }
}
