/**
 * Starts the real app for tests: `migrate up`, then the `api` and `web` commands as separate
 * processes (exactly as in the image, but from source), on real PostgreSQL and Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { poolSizeSetting } from '../../app/test/support/pool-size.ts';
import { freePort } from './servers.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface AppProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `slipway <args>` from source with the given environment (merged over a clean base). */
export function runCommand(args: string[], env: Record<string, string | undefined>): AppProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitForHttp(url: string, timeoutMs = 20_000, process?: AppProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (process && process.child.exitCode !== null) {
      throw new Error(`process exited with ${process.child.exitCode} before ${url} answered:\n${process.output()}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})\n${process?.output() ?? ''}`);
}

export interface StartAppOptions {
  /** URL of an empty (or migrated) database. */
  readonly databaseUrl: string;
  readonly redisUrl?: string;
  /** Extra settings for both processes. */
  readonly env?: Record<string, string | undefined>;
  /** Run `migrate up` first (default true). */
  readonly migrate?: boolean;
  /** Start the web process too (default true). */
  readonly web?: boolean;
}

export interface RunningApp {
  readonly apiUrl: string;
  readonly webUrl: string;
  readonly api: AppProcess;
  readonly web?: AppProcess;
  readonly env: Record<string, string | undefined>;
  stop(): Promise<void>;
}

export async function migrate(databaseUrl: string, env: Record<string, string | undefined> = {}): Promise<string> {
  const run = runCommand(['migrate', 'up'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', ...env });
  const code = await run.exited;
  if (code !== 0) throw new Error(`migrate up exited with ${code}:\n${run.output()}`);
  return run.output();
}

export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  if (options.migrate !== false) await migrate(options.databaseUrl);
  const [apiPort, webPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  const env = {
    SLIPWAY_ENV: 'test',
    HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    WEB_PORT: String(webPort),
    APP_URL: webUrl,
    WEB_API_UPSTREAM_URL: apiUrl,
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0',
    ...poolSizeSetting(),
    ...options.env,
  };
  const api = runCommand(['api'], env);
  const web = options.web === false ? undefined : runCommand(['web'], env);
  try {
    await waitForHttp(`${apiUrl}/api/health`, 20_000, api);
    if (web) await waitForHttp(`${webUrl}/health`, 20_000, web);
  } catch (error) {
    await Promise.all([api.stop('SIGKILL'), web?.stop('SIGKILL')]);
    throw error;
  }
  return {
    apiUrl,
    webUrl,
    api,
    web,
    env,
    async stop() {
      await Promise.all([api.stop(), web?.stop()]);
    },
  };
}
