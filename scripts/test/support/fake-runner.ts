import type { CommandRunner, RunOptions, RunResult } from '../../lib/runner.ts';

/** A scripted runner for tests: each rule matches a command line and answers. */
export interface FakeRule {
  readonly match: RegExp;
  readonly result?: Partial<RunResult>;
  readonly respond?: (line: string, options?: RunOptions) => Partial<RunResult>;
}

export function fakeRunner(rules: readonly FakeRule[]): CommandRunner & { calls: string[]; inputs: Array<string | undefined> } {
  const calls: string[] = [];
  const inputs: Array<string | undefined> = [];
  return {
    calls,
    inputs,
    async run(command, args, options) {
      const line = [command, ...args].join(' ');
      calls.push(line);
      inputs.push(options?.input);
      const rule = rules.find((r) => r.match.test(line));
      if (!rule) return { exitCode: 127, stdout: '', stderr: `fake runner: no rule for ${line}` };
      const answer = rule.respond ? rule.respond(line, options) : (rule.result ?? {});
      return { exitCode: 0, stdout: '', stderr: '', ...answer };
    },
  };
}
