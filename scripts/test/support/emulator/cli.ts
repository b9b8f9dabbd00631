/**
 * Runs an operator command the way `npm run <name> -- ... --json` does (package.json's
 * `tsx scripts/<name>.ts`), as a child process whose AWS SDK talks to the emulator
 * (AWS_ENDPOINT_URL) and whose tools (git, docker, npx cdk) are stand-ins on PATH that hand each
 * call back to a runner in the test process (the same emulator runner the flow tests use).
 * It runs in a scratch folder, so `.env`, `cdk.json` and `cdk.out` are the test's own.
 * Asynchronous on purpose: the emulator's proxy and the bridge answer from this process.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from '../../../../test/support/app.ts';
import { emulatorEnv } from '../../../../test/support/moto.ts';
import type { CommandRunner } from '../../../lib/runner.ts';

export interface CliRun {
  readonly exitCode: number;
  /** The --json document (stdout). */
  readonly json: Record<string, unknown>;
  /** The human text (stderr with --json). */
  readonly stderr: string;
}

/** The command package.json runs for `npm run <name>`: the CLI tests run exactly it. */
export function npmScript(name: string): string {
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const script = scripts[name];
  if (!script || !/^tsx scripts\/[\w-]+\.ts$/.test(script)) throw new Error(`package.json script ${name} is ${JSON.stringify(script)}, not tsx scripts/<file>.ts`);
  return script.slice('tsx '.length);
}

const TOOLS = ['git', 'docker', 'npx'] as const;

/**
 * A stand-in tool: posts its argv (and stdin, for `--password-stdin`) to the bridge, prints what
 * the runner answered. zx leaves a child's stdin open unless it writes input, so stdin is read
 * only when the command reads it.
 */
const STUB = (tool: string) => `#!/usr/bin/env node
const chunks = [];
const ask = async () => {
  const res = await fetch(process.env.SLIPWAY_TEST_TOOL_BRIDGE, { method: 'POST', body: JSON.stringify({ command: ${JSON.stringify(tool)}, args: process.argv.slice(2), input: Buffer.concat(chunks).toString(), cwd: process.cwd() }) });
  const out = await res.json();
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  process.exitCode = out.exitCode;
};
if (!process.argv.includes('--password-stdin')) ask(); else process.stdin.on('data', (c) => chunks.push(c)).on('end', ask);
`;

export interface ToolBridge {
  /** Folder with the stand-in tools, to put first on PATH. */
  readonly bin: string;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the stand-in tools from `runner`. After `cdk diff`, the assembly the runner synthesized
 * is copied to the command's `cdk.out`, where the deploy guard reads it.
 */
export async function startToolBridge(runner: () => CommandRunner & { readonly assemblyDir?: string }): Promise<ToolBridge> {
  const bin = mkdtempSync(join(tmpdir(), 'slipway-tools-'));
  for (const tool of TOOLS) {
    writeFileSync(join(bin, tool), STUB(tool));
    chmodSync(join(bin, tool), 0o755);
  }
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const call = JSON.parse(Buffer.concat(chunks).toString()) as { command: string; args: string[]; input: string; cwd: string };
    let answer;
    try {
      const r = runner();
      answer = await r.run(call.command, call.args, call.input ? { input: call.input } : undefined);
      if (call.command === 'npx' && call.args[1] === 'diff' && r.assemblyDir) cpSync(r.assemblyDir, join(call.cwd, 'cdk.out'), { recursive: true });
    } catch (error) {
      answer = { exitCode: 1, stdout: '', stderr: `tool bridge: ${(error as Error).stack ?? String(error)}` };
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    bin,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(bin, { recursive: true, force: true });
      }),
  };
}

export interface CliOptions {
  /** The emulator endpoint the SDK talks to. */
  readonly endpoint: string;
  /** Settings, as an operator's environment or .env would give them. */
  readonly settings: Record<string, string>;
  /** Stand-in tools; without, the tools on the machine's PATH run. */
  readonly tools?: ToolBridge;
}

/** `npm run <name> -- <args> --json` against the emulator. */
export async function runCli(name: string, args: readonly string[], o: CliOptions): Promise<CliRun> {
  const cwd = mkdtempSync(join(tmpdir(), `slipway-${name}-`));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...emulatorEnv(o.endpoint),
    ...o.settings,
    ...(o.tools ? { PATH: `${o.tools.bin}${delimiter}${process.env.PATH}`, SLIPWAY_TEST_TOOL_BRIDGE: o.tools.url } : {}),
  };
  try {
    const child = spawn(join(REPO_ROOT, 'node_modules/.bin/tsx'), [join(REPO_ROOT, npmScript(name)), ...args, '--json'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exitCode = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(stdout) as Record<string, unknown>;
    } catch {
      throw new Error(`npm run ${name} ${args.join(' ')} --json printed no JSON document (exit ${exitCode}):\n${stdout}\n${stderr}`);
    }
    return { exitCode, json, stderr };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
