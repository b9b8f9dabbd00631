/**
 * Command-line conventions shared by every operator script: strict flag parsing with clear
 * messages, generated `--help`, `--json` (one JSON document on stdout, human text on stderr),
 * ✓/✗ step marks, a summary line and the exit code.
 */
import { parseArgs } from 'node:util';

export type OptionSpec =
  | {
      readonly type: 'string';
      readonly description: string;
      /** Environment variable read when the flag is absent (for CI). */
      readonly env?: string;
      readonly default?: string;
      readonly valueName?: string;
    }
  | { readonly type: 'boolean'; readonly description: string; readonly env?: string };

export interface CommandSpec {
  /** The npm script name, e.g. `smoke`. */
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples?: readonly string[];
  /** Extra paragraphs after the options (exit codes, notes). */
  readonly notes?: readonly string[];
}

export type Flags = Record<string, string | boolean | undefined>;

/** A mistake in how the command was called: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every command has. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', description: 'Show this help and exit.' },
  json: { type: 'boolean', description: 'Print one JSON document on stdout (human text goes to stderr).' },
};

export function allOptions(spec: CommandSpec): Record<string, OptionSpec> {
  return { ...spec.options, ...COMMON_OPTIONS };
}

/** Parses argv strictly. Flags not given fall back to their environment variable, then default. */
export function parseFlags(
  spec: CommandSpec,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Flags {
  const options = allOptions(spec);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type }])),
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    throw new UsageError(describeParseError(error, options));
  }
  const flags: Flags = {};
  for (const [name, option] of Object.entries(options)) {
    const given = values[name];
    if (given !== undefined) {
      flags[name] = given;
      continue;
    }
    const fromEnv = option.env ? env[option.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') {
      if (option.type === 'boolean') {
        if (!['true', 'false', '1', '0'].includes(fromEnv)) {
          throw new UsageError(`${option.env}=${JSON.stringify(fromEnv)} is not a boolean (use true or false) for --${name}`);
        }
        flags[name] = fromEnv === 'true' || fromEnv === '1';
      } else {
        flags[name] = fromEnv;
      }
      continue;
    }
    flags[name] = option.type === 'string' ? option.default : undefined;
  }
  return flags;
}

function describeParseError(error: unknown, options: Record<string, OptionSpec>): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const name = flag.replace(/^-+/, '');
    const near = Object.keys(options).find((o) => o.startsWith(name.slice(0, 3)) || name.startsWith(o));
    return `unknown flag ${flag}${near ? ` (did you mean --${near}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    const name = flag.replace(/^-+/, '');
    return options[name]?.type === 'boolean'
      ? `${flag} takes no value`
      : `${flag} needs a value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']+)'/.exec(message)?.[1];
    return `unexpected argument ${arg ?? ''}: every input is a --flag`.replace('  ', ' ');
  }
  return message;
}

export function helpText(spec: CommandSpec): string {
  const options = allOptions(spec);
  const rows = Object.entries(options).map(([name, o]) => {
    const left = o.type === 'string' ? `--${name} ${o.valueName ?? 'VALUE'}` : `--${name}`;
    const extras = [
      o.type === 'string' && o.default !== undefined ? `default: ${o.default}` : undefined,
      o.env ? `env: ${o.env}` : undefined,
    ].filter(Boolean);
    return { left, right: `${o.description}${extras.length ? ` (${extras.join('; ')})` : ''}` };
  });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  const lines = [
    `npm run ${spec.name} -- [flags]`,
    '',
    spec.summary,
    '',
    'Flags:',
    ...rows.map((r) => `  ${r.left.padEnd(width)}${r.right}`),
  ];
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  if (spec.notes?.length) lines.push('', ...spec.notes);
  lines.push('', 'Exit codes: 0 success, 1 a check or step failed, 2 bad flags or settings.');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// Typed flag readers: each error names the flag, the bad value and what it expects.
// ---------------------------------------------------------------------------

export function stringFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredString(flags: Flags, name: string, hint: string): string {
  const v = stringFlag(flags, name);
  if (!v) throw new UsageError(`--${name} is required: ${hint}`);
  return v;
}

export function secondsFlag(flags: Flags, name: string): number {
  const raw = stringFlag(flags, name);
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name} must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function intFlag(flags: Flags, name: string, min = 0): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** A TCP port: the URL setter silently ignores one outside 1-65535, so it is refused here. */
export function portFlag(flags: Flags, name: string): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65_535) {
    throw new UsageError(`--${name} must be a port number from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export function urlFlag(flags: Flags, name: string): URL | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${name} must be an absolute URL such as https://tracker.example.com, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--${name} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  return url;
}

export function isoTimeFlag(flags: Flags, name: string): Date | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(date.getTime())) {
    throw new UsageError(`--${name} must be an ISO 8601 time such as 2026-01-31T09:30:00Z, got ${JSON.stringify(raw)}`);
  }
  return date;
}

// ---------------------------------------------------------------------------
// Output.
// ---------------------------------------------------------------------------

export type StepStatus = 'pass' | 'fail' | 'warn' | 'skip' | 'info';
export const MARKS: Readonly<Record<StepStatus, string>> = { pass: '✓', fail: '✗', warn: '!', skip: '-', info: '·' };

export interface Writer {
  write(text: string): unknown;
}

/** Where human text goes: stdout normally, stderr with --json (stdout carries only the JSON). */
export class Reporter {
  readonly json: boolean;
  private readonly human: Writer;
  private readonly machine: Writer;

  constructor(options: { json: boolean; stdout?: Writer; stderr?: Writer }) {
    this.json = options.json;
    const stdout = options.stdout ?? process.stdout;
    const stderr = options.stderr ?? process.stderr;
    this.human = options.json ? stderr : stdout;
    this.machine = stdout;
  }

  line(text = ''): void {
    this.human.write(`${text}\n`);
  }

  step(status: StepStatus, name: string, detail?: string, fix?: string): void {
    this.line(`${MARKS[status]} ${name}${detail ? `: ${detail}` : ''}`);
    if (fix && (status === 'fail' || status === 'warn')) this.line(`    fix: ${fix}`);
  }

  document(doc: unknown): void {
    if (this.json) this.machine.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
}

/** What a command's flow returns: the JSON document and, on failure, a one-line reason. */
export interface CommandResult {
  readonly ok: boolean;
  /** One line: why it failed, or a summary of what succeeded. */
  readonly summary: string;
  readonly document: Record<string, unknown>;
  /** The settings do not parse, and the flow reported it itself (preflight): exit 2 as for a ConfigError thrown. */
  readonly badSettings?: boolean;
}

export interface MainIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writer;
  readonly stderr: Writer;
}

export function processIo(): MainIo {
  return { argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr };
}

/**
 * Runs a command: --help, flag errors (exit 2), the flow, the summary line and the exit code.
 * Returns the exit code so tests can call it without exiting.
 */
export async function runCommand(
  spec: CommandSpec,
  io: MainIo,
  flow: (flags: Flags, reporter: Reporter) => Promise<CommandResult>,
): Promise<number> {
  const argv = io.argv[0] === '--' ? io.argv.slice(1) : io.argv;
  const wantsJson = argv.includes('--json');
  let flags: Flags;
  try {
    flags = parseFlags(spec, argv, io.env);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${spec.name}: ${message}\nRun \`npm run ${spec.name} -- --help\` for the flags.\n`);
    if (wantsJson) io.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout.write(helpText(spec));
    return 0;
  }
  const reporter = new Reporter({ json: Boolean(flags.json), stdout: io.stdout, stderr: io.stderr });
  try {
    const result = await flow(flags, reporter);
    reporter.document({ ok: result.ok, summary: result.summary, ...result.document });
    io.stderr.write(`${result.ok ? MARKS.pass : MARKS.fail} ${spec.name}: ${result.summary}\n`);
    return result.ok ? 0 : result.badSettings ? 2 : 1;
  } catch (error) {
    const message = oneLine(error);
    const usage = error instanceof UsageError || (error as Error)?.name === 'ConfigError';
    const fix = usage ? `npm run ${spec.name} -- --help lists the flags` : fixFor(error, spec.name);
    reporter.document({ ok: false, summary: message, error: message, fix });
    io.stderr.write(`${MARKS.fail} ${spec.name}: ${message}\n`);
    if (usage) io.stderr.write(`Run \`npm run ${spec.name} -- --help\` for the flags.\n`);
    else io.stderr.write(`    fix: ${fix}\n`);
    return usage ? 2 : 1;
  }
}

/** The runbook an operator reads when a command fails in a way it does not explain itself. */
const RUNBOOKS: Readonly<Record<string, string>> = {
  preflight: 'runbooks/first-deploy.md',
  deploy: 'runbooks/routine-deploy.md',
  smoke: 'runbooks/routine-deploy.md',
  rollback: 'runbooks/rollback.md',
  'restore-drill': 'runbooks/point-in-time-restore.md',
};

/**
 * The fix line for an error a flow did not catch: the "Fix: …" its message carries, or the
 * fix for the AWS errors every command can meet (no credentials, an expired session, a denied
 * call), or the command's runbook.
 */
export function fixFor(error: unknown, command: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const name = (error as Error)?.name ?? '';
  const inline = /\bFix: (.+)$/s.exec(message)?.[1];
  if (inline) return oneLine(inline);
  if (name === 'CredentialsProviderError' || /Could not load credentials|Unable to locate credentials/i.test(message)) {
    return `no AWS credentials: sign in (aws sso login, or set AWS_PROFILE to the target account) and run npm run ${command} again; npm run preflight checks them`;
  }
  if (/ExpiredToken|RequestExpired/.test(name) || /security token included in the request is expired/i.test(message)) {
    return `the AWS session expired: sign in again (aws sso login) and run npm run ${command} again`;
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(name) || /not authorized to perform/i.test(message)) {
    return 'the credentials may not do this: use the deploying role of the target account (see infra/README.md), or ask for the permission named above';
  }
  return `read the steps marked ✗ above; ${RUNBOOKS[command] ?? 'runbooks/README.md'} says what to do when npm run ${command} fails`;
}

export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
