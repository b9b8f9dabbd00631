import { describe, expect, it } from 'vitest';
import { runOrThrow, zxRunner } from '../lib/runner.ts';

describe('the zx command runner', () => {
  it('passes arguments as given (zx quotes them) and captures output', async () => {
    const result = await zxRunner.run('node', ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', 'a b', "it's", '$HOME']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['a b', "it's", '$HOME']);
  });

  it('writes input to stdin, never to argv', async () => {
    const result = await zxRunner.run('node', ['-e', 'process.stdin.pipe(process.stdout)'], { input: 'secret-password' });
    expect(result.stdout).toBe('secret-password');
  });

  it('reports a non-zero exit without throwing, and streams output as it comes', async () => {
    const seen: string[] = [];
    const result = await zxRunner.run('node', ['-e', 'console.log("progress"); console.error("boom"); process.exit(3)'], { stream: { write: (t) => seen.push(t) } });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'progress\n', stderr: 'boom\n' });
    expect(seen.join('')).toContain('progress');
    await expect(runOrThrow(zxRunner, 'node', ['-e', 'console.error("bad thing"); process.exit(2)'])).rejects.toThrow('`node -e console.error("bad thing"); process.exit(2)` exited 2: bad thing');
  });

  it('stops a command that outlives its timeout', async () => {
    const started = Date.now();
    const result = await zxRunner.run('node', ['-e', 'setTimeout(() => {}, 30000)'], { timeoutMs: 300 });
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
