import { describe, expect, it } from 'vitest';
import { helpText, parseFlags, runCommand, UsageError, type CommandSpec } from '../lib/cli.ts';
import { imageTagOf } from '../lib/ecs.ts';
import { firstEvent } from '../lib/http.ts';
import { parsePrometheusText } from '../lib/prometheus.ts';
import { liveRecord, liveStack, migrationOf, releaseParameterName, rollbackTarget, serializeRecord, type ReleaseRecord } from '../lib/releases.ts';
import { fakeClock, waitFor, WaitTimeoutError } from '../lib/wait.ts';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'A demo.',
  options: {
    'base-url': { type: 'string', env: 'DEMO_URL', description: 'URL.' },
    timeout: { type: 'string', default: '30', description: 'Seconds.' },
    'dry-run': { type: 'boolean', description: 'Nothing.' },
  },
};

describe('flags', () => {
  it.each([
    [['--bogus'], 'unknown flag --bogus'],
    [['--base'], 'unknown flag --base (did you mean --base-url?)'],
    [['--base-url'], '--base-url needs a value'],
    [['--dry-run=yes'], '--dry-run takes no value'],
    [['extra'], 'unexpected argument extra: every input is a --flag'],
  ])('%j is refused with a clear message', (argv, message) => {
    expect(() => parseFlags(spec, argv)).toThrow(new UsageError(message));
  });

  it('falls back to the environment, then the default', () => {
    expect(parseFlags(spec, [], { DEMO_URL: 'https://x.example' })).toMatchObject({ 'base-url': 'https://x.example', timeout: '30' });
    expect(parseFlags(spec, ['--base-url', 'https://y.example'], { DEMO_URL: 'https://x.example' })['base-url']).toBe('https://y.example');
  });

  it('help lists every flag with its env and default', () => {
    const text = helpText(spec);
    expect(text).toContain('--base-url VALUE  URL. (env: DEMO_URL)');
    expect(text).toContain('--timeout VALUE   Seconds. (default: 30)');
    expect(text).toContain('--json');
  });

  it('--json prints one document on stdout and human text on stderr; failures exit 1 with one line', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io = { argv: ['--json'], env: {}, stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: (t: string) => stderr.push(t) } };
    const code = await runCommand(spec, io, async (_flags, reporter) => {
      reporter.step('fail', 'thing', 'broke', 'fix it');
      return { ok: false, summary: 'thing broke', document: { detail: 1 } };
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout.join(''))).toEqual({ ok: false, summary: 'thing broke', detail: 1 });
    expect(stderr.join('')).toBe('✗ thing: broke\n    fix: fix it\n✗ demo: thing broke\n');
  });

  it.each([
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'no AWS credentials: sign in (aws sso login, or set AWS_PROFILE to the target account) and run npm run demo again; npm run preflight checks them'],
    [Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' }), 'the AWS session expired: sign in again (aws sso login) and run npm run demo again'],
    [Object.assign(new Error('User: x is not authorized to perform: rds:RestoreDBInstanceToPointInTime'), { name: 'AccessDenied' }), 'the credentials may not do this: use the deploying role of the target account (see infra/README.md), or ask for the permission named above'],
    [new Error('slipway-service is UPDATE_IN_PROGRESS: another deploy or rollback is running. Fix: wait for it to finish, then run this again'), 'wait for it to finish, then run this again'],
    [new Error('something unforeseen'), 'read the steps marked ✗ above; runbooks/README.md says what to do when npm run demo fails'],
  ])('a failure that escapes the flow prints a fix line: %s', async (error, fix) => {
    const stderr: string[] = [];
    const stdout: string[] = [];
    const io = { argv: ['--json'], env: {}, stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: (t: string) => stderr.push(t) } };
    expect(await runCommand(spec, io, async () => Promise.reject(error))).toBe(1);
    expect(stderr.join('')).toBe(`✗ demo: ${error.message}\n    fix: ${fix}\n`);
    expect(JSON.parse(stdout.join(''))).toMatchObject({ ok: false, fix });
  });

  it('bad flags exit 2', async () => {
    const stderr: string[] = [];
    const io = { argv: ['--nope'], env: {}, stdout: { write: () => 0 }, stderr: { write: (t: string) => stderr.push(t) } };
    expect(await runCommand(spec, io, async () => ({ ok: true, summary: '', document: {} }))).toBe(2);
    expect(stderr.join('')).toBe('demo: unknown flag --nope\nRun `npm run demo -- --help` for the flags.\n');
  });
});

describe('waitFor', () => {
  it('reports progress on status changes and times out with the last status', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    let n = 0;
    const wait = waitFor({
      what: 'the thing',
      clock,
      timeoutMs: 60_000,
      intervalMs: 10_000,
      progress: (l) => lines.push(l),
      poll: async () => ({ state: 'pending', status: n++ < 2 ? 'creating' : 'backing-up' }),
    });
    await expect(wait).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(wait).rejects.toThrow('timed out after 1m00s waiting for the thing (last status: backing-up)');
    expect(lines).toEqual(['  … waiting for the thing: creating (0s elapsed)', '  … waiting for the thing: backing-up (20s elapsed)']);
  });
});

describe('release records', () => {
  const base: ReleaseRecord = { release: 'r1', kind: 'deploy', startedAt: '2026-01-02T03:04:05.678Z', finishedAt: '2026-01-02T03:10:00.000Z', durationSeconds: 355, smoke: 'passed', smokeFailures: [], outcome: 'live' };

  it('names a record by start time and tag', () => {
    expect(releaseParameterName('/slipway/releases', base)).toBe('/slipway/releases/20260102T030405Z-r1');
  });

  it('cuts long smoke failure lists to fit an SSM parameter', () => {
    const long = { ...base, smokeFailures: Array.from({ length: 100 }, (_, i) => `check ${i} failed: ${'x'.repeat(80)}`) };
    const text = serializeRecord(long);
    expect(text.length).toBeLessThanOrEqual(4000);
    expect(JSON.parse(text).note).toBe('smoke failures cut to fit');
  });

  const at = (n: number) => `2026-02-0${n}T10:00:00.000Z`;
  const rec = (n: number, release: string, kind: ReleaseRecord['kind'], outcome: ReleaseRecord['outcome'] = 'replaced', smoke: ReleaseRecord['smoke'] = 'passed'): ReleaseRecord => ({ ...base, release, kind, outcome, smoke, startedAt: at(n) });

  it('the rollback target skips failed, rolled-back, started and the current release', () => {
    const h = [rec(1, 'a', 'deploy'), rec(2, 'b', 'deploy', 'rolled-back', 'failed'), rec(3, 'c', 'deploy', 'failed', 'not-run'), rec(4, 'x', 'deploy', 'started', 'not-run'), rec(5, 'd', 'deploy', 'live')];
    expect(liveStack(h)).toEqual(['a', 'd']);
    expect(rollbackTarget(h, 'd')).toBe('a');
    expect(rollbackTarget(h, 'unknown')).toBe('d');
  });

  it('rolling back twice walks back through history; a deploy after that goes on from there', () => {
    const h = [rec(1, 'r0', 'deploy'), rec(2, 'r1', 'deploy'), rec(3, 'r2', 'deploy'), rec(4, 'r1', 'rollback')];
    expect(rollbackTarget(h, 'r1')).toBe('r0');
    h.push(rec(5, 'r0', 'rollback'));
    expect(liveStack(h)).toEqual(['r0']);
    expect(rollbackTarget(h, 'r0')).toBeUndefined();
    h.push(rec(6, 'r3', 'deploy', 'live'));
    expect(liveStack(h)).toEqual(['r0', 'r3']);
    expect(rollbackTarget(h, 'r3')).toBe('r0');
    expect(liveRecord(h)?.startedAt).toBe(at(6));
  });

  it('a rollback --to a release that is not below pushes it', () => {
    const h = [rec(1, 'a', 'deploy'), rec(2, 'b', 'deploy'), rec(3, 'old', 'rollback')];
    expect(liveStack(h)).toEqual(['a', 'b', 'old']);
    expect(rollbackTarget(h, 'old')).toBe('b');
  });

  it('reads the migration from /api/version', () => {
    expect(migrationOf({ migration: { latest: '0003', applied: '0003' } })).toBe('0003');
    expect(migrationOf({ migration: '0002_x' })).toBe('0002_x');
    expect(migrationOf(undefined)).toBeUndefined();
  });
});

describe('small parsers', () => {
  it('image tags from image references', () => {
    expect(imageTagOf('123.dkr.ecr.eu-west-1.amazonaws.com/slipway:abc123')).toBe('abc123');
    expect(imageTagOf('localhost:5000/slipway')).toBeUndefined();
    expect(imageTagOf('repo@sha256:ff')).toBe('sha256:ff');
  });

  it('Prometheus text: accepts the exposition format, rejects HTML', () => {
    expect(parsePrometheusText('# HELP a A.\n# TYPE a counter\na{x="1",y="a\\"b"} 1\nb 2.5e3 1700000000\nc +Inf\n')).toEqual({ ok: true, samples: 3, families: 1 });
    expect(parsePrometheusText('<html></html>')).toMatchObject({ ok: false, line: 1 });
    expect(parsePrometheusText('')).toMatchObject({ ok: false, reason: 'no samples at all' });
  });

  it('server-sent events: first event name or heartbeat', () => {
    expect(firstEvent('event: ready\ndata: {}\n\n')).toBe('ready');
    expect(firstEvent(': heartbeat\n')).toBe('heartbeat');
    expect(firstEvent('data: x\r\n\r\n')).toBe('message');
    expect(firstEvent('event: rea')).toBeUndefined();
  });
});
