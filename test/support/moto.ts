/**
 * A real AWS API emulator for tests: moto_server on a free loopback port. It keeps state,
 * validates parameters and answers with AWS's error codes, so flows that pass against it do
 * not only agree with a mock written by the same hands. Dummy credentials; nothing leaves
 * loopback. A test that needs it gets it, or fails saying what to install.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from './servers.ts';

const INSTALL_HINT =
  "moto_server was not found on PATH. Install the AWS API emulator (Python 3.11): pip install 'moto[server]==5.2.1' (see scripts/README.md, \"Against the emulator\").";

export const EMULATOR_REGION = 'eu-west-1';
/** moto's default account: every ARN it returns carries it. */
export const EMULATOR_ACCOUNT = '123456789012';
export const EMULATOR_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export interface MotoServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Forgets every resource of every service (moto's reset API). */
  reset(): Promise<void>;
  /** How a model's status advances (moto's state manager), e.g. ECS tasks only on StopTask. */
  setTransition(model: string, transition: { progression: 'immediate' | 'manual' | 'time'; times?: number; seconds?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Extra environment for the server, e.g. MOTO_ECS_SERVICE_RUNNING. */
  readonly env?: Readonly<Record<string, string>>;
}

function assertInstalled(): void {
  const which = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (which.status !== 0 || !which.stdout.trim()) throw new Error(INSTALL_HINT);
}

async function waitUntilServing(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode} before serving:\n${output()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s (last: ${last}):\n${output()}`);
}

export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  assertInstalled();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    // Keep the tail only: moto logs every request.
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitUntilServing(endpoint, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${endpoint}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`moto ${path} answered ${res.status}: ${await res.text()}`);
  };
  return {
    port,
    endpoint,
    reset: () => post('/moto-api/reset'),
    setTransition: (model, transition) => post('/moto-api/state-manager/set-transition', { model_name: model, transition }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Settings an SDK v3 client (or a child process) needs to talk to the emulator at `endpoint`. */
export function emulatorClientConfig(endpoint: string, region = EMULATOR_REGION) {
  return { region, endpoint, credentials: { ...EMULATOR_CREDENTIALS } };
}

/** The same as environment variables, for commands run as child processes. */
export function emulatorEnv(endpoint: string, region = EMULATOR_REGION): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // The SDK's note about Node 20 is not what the tests are about.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
