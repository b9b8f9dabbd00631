/**
 * Shell-outs (git, docker/buildah, cdk) go through this interface so tests can fake them.
 * The real one uses zx, which quotes every interpolated argument itself.
 */
import { $ } from 'zx';
import type { Writer } from './cli.ts';

export interface RunOptions {
  readonly cwd?: string;
  /** Written to the command's stdin (e.g. a registry password), never to argv. */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Copy the command's output here as it runs (long cdk deploys show their progress). */
  readonly stream?: Writer;
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export const zxRunner: CommandRunner = {
  async run(command, args, options = {}) {
    const shell = $({
      cwd: options.cwd,
      input: options.input,
      nothrow: true,
      quiet: true,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      timeout: options.timeoutMs,
    });
    const child = shell`${command} ${args}`;
    if (options.stream) {
      const sink = options.stream;
      child.stdout.on('data', (chunk: Buffer) => sink.write(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => sink.write(chunk.toString()));
    }
    const out = await child;
    return { exitCode: out.exitCode ?? 1, stdout: out.stdout, stderr: out.stderr };
  },
};

/** Runs and throws with the command's last output lines when it exits non-zero. */
export async function runOrThrow(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options?: RunOptions,
): Promise<RunResult> {
  const result = await runner.run(command, args, options);
  if (result.exitCode !== 0) {
    const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`\`${command} ${args.slice(0, 3).join(' ')}\` exited ${result.exitCode}${tail ? `: ${tail}` : ''}`);
  }
  return result;
}
