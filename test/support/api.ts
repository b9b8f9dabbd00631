/** Starts the API in this process (fast, and lets a test look inside), on a free port. */
import pino from 'pino';
import { loadApiConfig } from '../../app/src/config/api.ts';
import { startApi, type RunningApi, type StartApiOptions } from '../../app/src/api/run.ts';
import { poolSizeSetting } from '../../app/test/support/pool-size.ts';

export async function startTestApi(env: Record<string, string | undefined>, options: StartApiOptions = {}): Promise<RunningApi & { stop(): Promise<void> }> {
  const config = loadApiConfig({
    SLIPWAY_ENV: 'test',
    HOST: '127.0.0.1',
    API_PORT: '0',
    SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0',
    ...poolSizeSetting(),
    ...env,
  });
  const api = await startApi(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), options);
  return { ...api, stop: () => api.shutdown('test finished') };
}
