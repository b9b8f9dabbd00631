/** Argument parsing, help and dispatch for `npm run cli -- <command>`. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiError, NetworkError, normaliseBaseUrl, SlipwayClient } from './client.ts';
import { formatDoctor, runDoctor } from './doctor.ts';
import { createIssue, formatIssue, formatIssueTable, listIssues, parseIssueRef, parseStatuses, resolveWorkspace, showIssue, UsageError } from './issues.ts';

export interface CliIo {
  readonly env: Record<string, string | undefined>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly fetch?: typeof fetch;
}

/** Exit codes: 0 success, 1 a check or request failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const CMD = 'npm run cli --';

export const HELP = {
  main: `Slipway command line: check a server and work with issues over the HTTP API.

Usage: ${CMD} <command> [options]

Commands:
  doctor                 Check SLIPWAY_API_URL, readiness, version and SLIPWAY_TOKEN
  issue ls               List issues
  issue create           Create an issue
  issue show <KEY-N>     Show one issue with its comments

Environment:
  SLIPWAY_API_URL        The Slipway address, e.g. http://localhost:7015
  SLIPWAY_TOKEN          A personal access token (pat_…) from Settings in the web UI
  SLIPWAY_WORKSPACE      Default workspace slug for issue commands

Run '${CMD} <command> --help' for a command's options.
`,
  doctor: `Usage: ${CMD} doctor [--json]

Checks that SLIPWAY_API_URL answers, that the server is ready (/api/readyz), which release
it runs (/api/version) and that SLIPWAY_TOKEN is accepted (GET /api/v1/me). Each failed
check prints how to fix it; the exit code is 1 if any check fails.

Options:
  --json      Print the report as JSON
  -h, --help  Show this help
`,
  issue: `Usage: ${CMD} issue <ls|create|show> [options]

  issue ls [--workspace SLUG] [--status open,in_progress,closed|all] [--assignee me|none|USER_ID]
           [--search TEXT] [--limit N] [--json]
  issue create [--workspace SLUG] --title TITLE [--description TEXT] [--json]
  issue show <ENG-42 | 42> [--workspace SLUG] [--json]

Without --workspace: SLIPWAY_WORKSPACE, then the workspace whose key matches, then your only one.
`,
  ls: `Usage: ${CMD} issue ls [options]

Lists issues, newest first.

Options:
  -w, --workspace SLUG   Workspace slug (default: SLIPWAY_WORKSPACE, or your only workspace)
  -s, --status LIST      open, in_progress, closed (comma-separated) or all (default: all)
  -a, --assignee WHO     me, none, or a user id
  -q, --search TEXT      Only issues whose title contains TEXT
  -n, --limit N          Most issues to show, 1-1000 (default: 50)
      --json             Print {"issues":[…],"more":bool} as JSON
  -h, --help             Show this help
`,
  create: `Usage: ${CMD} issue create --title TITLE [options]

Options:
  -w, --workspace SLUG   Workspace slug (default: SLIPWAY_WORKSPACE, or your only workspace)
  -t, --title TITLE      Issue title (required)
  -d, --description TEXT Issue description
      --json             Print {"issue":{…}} as JSON
  -h, --help             Show this help
`,
  show: `Usage: ${CMD} issue show <ENG-42 | 42> [options]

Shows an issue and its comments.

Options:
  -w, --workspace SLUG   Workspace slug (default: the workspace whose issue key matches)
      --json             Print {"issue":{…},"comments":[…]} as JSON
  -h, --help             Show this help
`,
};

const common = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const workspace = { workspace: { type: 'string', short: 'w' } } as const;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    // node:util's messages name the flag; drop its internal code prefix and hint at --help.
    throw new UsageError((error as Error).message.replace(/^[A-Z_]+: /, '').replace(/\. To specify a positional.*$/s, '.'));
  }
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  let helpFor: keyof typeof HELP = 'main';
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      (command ? io.out : io.err)(HELP.main);
      return command ? EXIT.ok : EXIT.usage;
    }
    if (command === 'doctor') {
      helpFor = 'doctor';
      const { values } = parse(rest, common, false);
      if (values.help) return help(io, 'doctor');
      const report = await runDoctor({ apiUrl: io.env.SLIPWAY_API_URL, token: io.env.SLIPWAY_TOKEN, fetch: io.fetch });
      io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report));
      return report.ok ? EXIT.ok : EXIT.failed;
    }
    if (command === 'issue' || command === 'issues') {
      helpFor = 'issue';
      const [sub, ...args] = rest;
      if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
        (sub ? io.out : io.err)(HELP.issue);
        return sub ? EXIT.ok : EXIT.usage;
      }
      if (sub === 'ls' || sub === 'list') return await issueLs(args, io, (h) => (helpFor = h));
      if (sub === 'create' || sub === 'new') return await issueCreate(args, io, (h) => (helpFor = h));
      if (sub === 'show' || sub === 'view') return await issueShow(args, io, (h) => (helpFor = h));
      throw new UsageError(`unknown issue command "${sub}" (expected ls, create or show)`);
    }
    throw new UsageError(`unknown command "${command}" (expected doctor or issue)`);
  } catch (error) {
    return report(error, io, helpFor);
  }
}

function help(io: CliIo, topic: keyof typeof HELP): number {
  io.out(HELP[topic]);
  return EXIT.ok;
}

function clientFor(io: CliIo): SlipwayClient {
  let baseUrl: string;
  try {
    baseUrl = normaliseBaseUrl(io.env.SLIPWAY_API_URL);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!io.env.SLIPWAY_TOKEN?.trim()) {
    throw new UsageError('SLIPWAY_TOKEN is not set. Create a personal access token in the web UI (Settings) and export SLIPWAY_TOKEN=pat_…');
  }
  return new SlipwayClient({ baseUrl, token: io.env.SLIPWAY_TOKEN, fetch: io.fetch });
}

async function issueLs(args: string[], io: CliIo, setHelp: (h: keyof typeof HELP) => void): Promise<number> {
  setHelp('ls');
  const { values } = parse(
    args,
    {
      ...common,
      ...workspace,
      status: { type: 'string', short: 's' },
      assignee: { type: 'string', short: 'a' },
      search: { type: 'string', short: 'q' },
      limit: { type: 'string', short: 'n' },
    },
    false,
  );
  if (values.help) return help(io, 'ls');
  const status = parseStatuses(values.status);
  let limit = 50;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000; got "${values.limit}"`);
  }
  const client = clientFor(io);
  const slug = await resolveWorkspace(client, values.workspace ?? io.env.SLIPWAY_WORKSPACE);
  const result = await listIssues(client, { workspace: slug, status, assignee: values.assignee, query: values.search, limit });
  io.out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatIssueTable(result.issues, result.more));
  return EXIT.ok;
}

async function issueCreate(args: string[], io: CliIo, setHelp: (h: keyof typeof HELP) => void): Promise<number> {
  setHelp('create');
  const { values } = parse(
    args,
    { ...common, ...workspace, title: { type: 'string', short: 't' }, description: { type: 'string', short: 'd' } },
    false,
  );
  if (values.help) return help(io, 'create');
  if (!values.title?.trim()) throw new UsageError('--title is required, e.g. --title "Login button does nothing"');
  const client = clientFor(io);
  const slug = await resolveWorkspace(client, values.workspace ?? io.env.SLIPWAY_WORKSPACE);
  const issue = await createIssue(client, { workspace: slug, title: values.title.trim(), description: values.description });
  io.out(values.json ? `${JSON.stringify({ issue }, null, 2)}\n` : `Created ${issue.key}: ${issue.title}\n`);
  return EXIT.ok;
}

async function issueShow(args: string[], io: CliIo, setHelp: (h: keyof typeof HELP) => void): Promise<number> {
  setHelp('show');
  const { values, positionals } = parse(args, { ...common, ...workspace }, true);
  if (values.help) return help(io, 'show');
  if (positionals.length !== 1) throw new UsageError('give exactly one issue, like: issue show ENG-42');
  const ref = parseIssueRef(positionals[0]!);
  const client = clientFor(io);
  const explicit = values.workspace ?? io.env.SLIPWAY_WORKSPACE;
  if (!explicit && !ref.key) throw new UsageError(`"${positionals[0]}" has no issue key: use ENG-${ref.number}, or add --workspace`);
  const slug = await resolveWorkspace(client, explicit, ref.key);
  const details = await showIssue(client, slug, ref.key ? `${ref.key}-${ref.number}` : String(ref.number));
  io.out(values.json ? `${JSON.stringify({ issue: details.issue, comments: details.comments }, null, 2)}\n` : formatIssue(details));
  return EXIT.ok;
}

function report(error: unknown, io: CliIo, helpFor: keyof typeof HELP): number {
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}\nRun '${CMD} ${helpFor === 'main' ? '' : helpFor === 'doctor' || helpFor === 'issue' ? `${helpFor} ` : `issue ${helpFor} `}--help' for usage.\n`);
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    const fields = error.issues.map((i) => `\n  ${i.path || '(body)'}: ${i.message}`).join('');
    const hint = error.status === 401 ? `\nCheck SLIPWAY_TOKEN ('${CMD} doctor' tests it).` : '';
    io.err(`error: ${error.message} (HTTP ${error.status} ${error.code})${fields}${hint}\n`);
    return EXIT.failed;
  }
  if (error instanceof NetworkError) {
    io.err(`error: ${error.message}\nRun '${CMD} doctor' to check the connection.\n`);
    return EXIT.failed;
  }
  io.err(`error: ${(error as Error)?.message ?? String(error)}\n`);
  return EXIT.failed;
}
