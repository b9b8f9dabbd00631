/**
 * Runs `npm start` as a person would: in its own process group (Ctrl+C signals the group), with
 * only the environment given plus PATH and HOME, and optionally on a terminal (a pseudo-terminal
 * made by util-linux `script`), where its progress lines are meant for a person.
 */
import { spawn } from 'node:child_process';
import { REPO_ROOT, type AppProcess } from '../../../test/support/app.ts';

export function spawnNpmStart(env: Record<string, string>, options: { terminal?: boolean } = {}): AppProcess {
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const [command, args] = options.terminal ? ['script', ['--quiet', '--return', '--command', 'npm start --silent', '/dev/null']] : ['npm', ['start', '--silent']];
  const child = spawn(command as string, args as string[], { cwd: REPO_ROOT, env: base, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  child.once('error', (error) => (output += `\n${command} could not run: ${error.message}${options.terminal ? ' (install util-linux for `script`)' : ''}\n`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    // A terminal ends lines with CR LF.
    output: () => output.replace(/\r\n/g, '\n'),
    exited,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
      return exited;
    },
  };
}
