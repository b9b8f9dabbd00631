/**
 * The runbooks and the CI examples name only commands and flags that exist: every `npm run X`
 * is a script in package.json, and every flag given to an operator command is one of its flags.
 */
import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allOptions, type CommandSpec } from '../lib/cli.ts';
import { DEPLOY_SPEC, ROLLBACK_SPEC } from '../lib/commands.ts';
import { PREFLIGHT_CHECKS, PREFLIGHT_SPEC } from '../lib/preflight.ts';
import { createServiceLinkedRole, SERVICE_LINKED_ROLES } from '../lib/preflight-service-roles.ts';
import { RESTORE_SPEC } from '../lib/restore/command.ts';
import { SMOKE_SPEC } from '../lib/smoke-command.ts';
import { TEARDOWN_SPEC } from '../lib/teardown/command.ts';
import { deploy } from '../lib/deploy.ts';
import { recordRelease, type ReleaseRecord } from '../lib/releases.ts';
import { listHistory, rollback } from '../lib/rollback.ts';
import { sampleTemplates } from './support/templates.ts';
import { quoted, quotePattern } from './support/runbook-text.ts';
import { makeWorld, testConfig } from './support/world.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SPECS: Record<string, CommandSpec> = Object.fromEntries(
  [DEPLOY_SPEC, ROLLBACK_SPEC, PREFLIGHT_SPEC, RESTORE_SPEC, SMOKE_SPEC, TEARDOWN_SPEC].map((s) => [s.name, s]),
);
const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

export interface NpmRun {
  readonly file: string;
  readonly line: number;
  readonly script: string;
  readonly flags: readonly string[];
}

/** Every `npm run SCRIPT [-- --flags]` in a text (lines ending in \ are joined). */
export function findNpmRuns(file: string, text: string): NpmRun[] {
  const runs: NpmRun[] = [];
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n');
  lines.forEach((line, i) => {
    // npm's own options (--silent, -s) may come before the script name.
    for (const m of line.matchAll(/npm run (?:(?:--silent|-s) )?([a-z][\w:-]*)([^`\n|;&)]*)/g)) {
      const rest = m[2] ?? '';
      const afterDashes = rest.includes(' -- ') || rest.startsWith(' --') ? rest.slice(rest.indexOf('--') + 2) : '';
      const flags = [...afterDashes.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)].map((f) => f[1]!);
      runs.push({ file, line: i + 1, script: m[1]!, flags });
    }
  });
  return runs;
}

function filesIn(dir: string, ext: RegExp): string[] {
  const full = join(ROOT, dir);
  return existsSync(full) ? readdirSync(full).filter((f) => ext.test(f)).map((f) => join(dir, f)) : [];
}

const RUNBOOKS = filesIn('runbooks', /\.md$/);
const WORKFLOWS = filesIn('.github/workflows', /\.ya?ml$/);
const ALL_RUNS = [...RUNBOOKS, ...WORKFLOWS].flatMap((f) => findNpmRuns(f, readFileSync(join(ROOT, f), 'utf8')));

describe('runbooks and workflows', () => {
  it('exist for every operation the issue lists', () => {
    expect(RUNBOOKS.map((f) => f.replace('runbooks/', '')).sort()).toEqual([
      'README.md', 'failover.md', 'first-deploy.md', 'https-certificate.md', 'point-in-time-restore.md',
      'postgres-major-upgrade.md', 'rollback.md', 'routine-deploy.md', 'scaling-and-sizing.md', 'secret-rotation.md',
    ]);
    expect(WORKFLOWS.sort()).toEqual(['.github/workflows/ci.yml', '.github/workflows/deploy.yml', '.github/workflows/restore-drill.yml']);
    expect(ALL_RUNS.length).toBeGreaterThan(40);
  });

  it('name only npm scripts that exist', () => {
    const missing = ALL_RUNS.filter((r) => !(r.script in SCRIPTS)).map((r) => `${r.file}:${r.line} npm run ${r.script}`);
    expect(missing).toEqual([]);
  });

  it('give operator commands only flags they have', () => {
    const bad = ALL_RUNS.filter((r) => SPECS[r.script]).flatMap((r) => {
      const known = allOptions(SPECS[r.script]!);
      return r.flags.filter((f) => !(f.slice(2) in known)).map((f) => `${r.file}:${r.line} npm run ${r.script} ${f}`);
    });
    expect(bad).toEqual([]);
  });

  it('use only the environment variables the commands read', () => {
    const envs = new Set(Object.values(SPECS).flatMap((s) => Object.values(s.options).map((o) => o.env).filter(Boolean)));
    const used = [...RUNBOOKS, ...WORKFLOWS].flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/\bSMOKE_[A-Z_]+/g)].map((m) => `${f}: ${m[0]}`));
    expect(used.filter((u) => !envs.has(u.split(': ')[1]))).toEqual([]);
  });

  it('the deploy workflow never overlaps two deploys and runs preflight before deploy', () => {
    const yml = readFileSync(join(ROOT, '.github/workflows/deploy.yml'), 'utf8');
    expect(yml).toMatch(/concurrency:\n\s+group: slipway-deploy\n\s+cancel-in-progress: false/);
    expect(yml).toContain('id-token: write');
    const deployAt = yml.search(/npm run (--silent )?deploy/);
    expect(deployAt).toBeGreaterThan(0);
    expect(yml.indexOf('npm run preflight')).toBeLessThan(deployAt);
  });

  it.each(RUNBOOKS.filter((f) => !f.endsWith('README.md')))('%s reads in operator order and its links resolve', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const headings = [...text.matchAll(/^##+ (.+)$/gm)].map((m) => m[1]!);
    expect(text).toMatch(/^# .+\n\n\*\*When:\*\*/);
    // Background (what the options are) may come first; then prerequisites, steps, verify, roll back, clean up.
    expect(headings).toContain('Prerequisites');
    expect(headings.indexOf('Prerequisites')).toBeLessThan(headings.indexOf('Verify'));
    expect(headings.findIndex((h) => h.startsWith('Roll back'))).toBeGreaterThan(headings.indexOf('Prerequisites'));
    expect(headings.at(-1)).toBe('Clean up');
    for (const [, target] of text.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)) {
      expect(existsSync(resolve(dirname(join(ROOT, file)), target!)), `${file} links to ${target}`).toBe(true);
    }
  });
});

describe('first-deploy runbook', () => {
  const text = readFileSync(join(ROOT, 'runbooks/first-deploy.md'), 'utf8');

  it('creates exactly the service-linked roles preflight checks, with the command preflight prints', () => {
    const commands = [...text.matchAll(/^\s*(aws iam create-service-linked-role .+)$/gm)].map((m) => m[1]!.trim());
    expect(commands).toEqual(SERVICE_LINKED_ROLES.map((r) => createServiceLinkedRole(r.service)));
    for (const r of SERVICE_LINKED_ROLES) expect(text).toContain(`\`${r.role}\``);
  });

  it('quotes what a first deploy that fails its gate says', async () => {
    const world = makeWorld({ imageTag: undefined, serviceStackDeployed: false, badReleases: new Set(['bbbbbbbbbbbb']) });
    const result = await deploy({ config: testConfig(), dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, timeouts: { deployMs: 600_000, stableMs: 600_000, smokeMs: 1_000 } }, world.deps);
    const lines = quoted('runbooks/first-deploy.md', 'not rolled back');
    expect(lines).toHaveLength(1);
    expect(result.summary).toContain(lines[0]);
  });

  it('shows the output of every check preflight runs, in its order', () => {
    const block = /Expected on a ready account:\n\n\s*```text\n([\s\S]*?)```/.exec(text)![1]!;
    const shown = [...block.matchAll(/^\s*[✓✗!-] ([^:]+):/gm)].map((m) => m[1]!);
    expect(shown).toEqual(['settings', ...PREFLIGHT_CHECKS.map((c) => c.name), 'preflight']);
    expect(block).toContain(`all ${PREFLIGHT_CHECKS.length + 1} checks passed`);
  });
});

describe('rollback runbook: the lines it quotes are what the commands print', () => {
  const [OLD, NOW] = ['1a2b3c4d5e6f', '3f2a9c1d0e4b'];
  const timeouts = { deployMs: 600_000, stableMs: 600_000, smokeMs: 1_000 };

  /** 12 records, the last two the releases the runbook names; OLD's service template was kept. */
  async function account() {
    const world = makeWorld({ imageTag: NOW, images: new Set([OLD, NOW]) });
    const key = `releases/${OLD}/slipway-service.template.json`;
    world.objects.set(key, JSON.stringify(sampleTemplates(OLD)['slipway-service']));
    const rec = (release: string, day: number, o: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
      release, kind: 'deploy', startedAt: `2026-02-${String(day).padStart(2, '0')}T10:00:00.000Z`, finishedAt: '2026-02-01T10:09:00.000Z', durationSeconds: 540, smoke: 'passed', smokeFailures: [], outcome: 'replaced', migration: '3', ...o,
    });
    for (let day = 1; day <= 10; day++) await recordRelease(world.deps.ssm, '/slipway/releases', rec(`0000000000${String(day).padStart(2, '0')}`, day));
    await recordRelease(world.deps.ssm, '/slipway/releases', rec(OLD, 20, { outcome: 'live', serviceTemplate: { bucket: 'slipway-attachments-123', key } }));
    await recordRelease(world.deps.ssm, '/slipway/releases', { ...rec(NOW, 1, { outcome: 'live' }), startedAt: '2026-03-02T10:00:00.000Z' });
    return world;
  }
  const printed = (world: Awaited<ReturnType<typeof account>>, summary: string) => `${world.out.join('')}✓ rollback: ${summary}\n`;

  it('--list', async () => {
    const world = await account();
    const out = printed(world, (await listHistory({ config: testConfig() }, world.deps)).summary);
    const lines = [...quoted('runbooks/rollback.md', '* 2026'), ...quoted('runbooks/rollback.md', '✓ rollback: 12 record(s)')];
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(out).toContain(line);
  });

  it('--dry-run', async () => {
    const world = await account();
    const out = printed(world, (await rollback({ config: testConfig(), dryRun: true, allowStatefulReplacement: false, timeouts }, world.deps)).summary);
    const lines = ['· running now:', '✓ rollback: dry run:', '✓ change safety:'].flatMap((start) => quoted('runbooks/rollback.md', start));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(out).toContain(line);
  });

  it('the rollback', async () => {
    const world = await account();
    const out = printed(world, (await rollback({ config: testConfig(), dryRun: false, allowStatefulReplacement: false, timeouts }, world.deps)).summary);
    const lines = quoted('runbooks/rollback.md', '✓ rollback: rolled back to');
    expect(lines).toHaveLength(1);
    expect(out).toContain(lines[0]);
  });
});

describe('routine-deploy runbook: each ending it explains is one deploy prints', () => {
  const [PREVIOUS, RELEASE] = ['1a2b3c4d5e6f', '3f2a9c1d0e4b'];
  const HOUR = 3_600_000;

  /** `npm run deploy -- --release 3f2a9c1d0e4b` over 1a2b3c4d5e6f, rolling; `cdk` may stand in for cdk deploy of the release. */
  async function ending(
    state: Parameters<typeof makeWorld>[0] = {},
    cdk?: (world: ReturnType<typeof makeWorld>) => { exitCode: number; stdout: string; stderr: string },
    /** The previous release's kept service template. */
    kept?: (world: ReturnType<typeof makeWorld>) => { bucket: string; key: string; body: string },
  ) {
    const world = makeWorld({ imageTag: PREVIOUS, images: new Set([PREVIOUS, RELEASE]), ...state });
    const template = kept?.(world);
    if (template) world.objects.set(template.key, template.body);
    await recordRelease(world.deps.ssm, '/slipway/releases', {
      release: PREVIOUS, kind: 'deploy', startedAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:10:00.000Z', durationSeconds: 600, smoke: 'passed', smokeFailures: [], outcome: 'live',
      ...(template ? { serviceTemplate: { bucket: template.bucket, key: template.key } } : {}),
    });
    const run0 = world.deps.runner.run.bind(world.deps.runner);
    world.deps.runner.run = async (cmd, args, opts) => (cdk && args[1] === 'deploy' && args.join(' ').includes(`ImageTag=${RELEASE}`) ? cdk(world) : run0(cmd, args, opts));
    const options = { config: testConfig({ DEPLOY_STRATEGY: 'rolling' }), dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, release: RELEASE, timeouts: { deployMs: HOUR, stableMs: 600_000, smokeMs: 1_000 } };
    const result = await deploy(options, world.deps);
    return `${result.ok ? '✓' : '✗'} deploy: ${result.summary}`;
  }
  const failed = { exitCode: 1, stdout: '', stderr: '' };
  const endings = (start: string) => quoted('runbooks/routine-deploy.md', start);

  it.each([
    ['✓ deploy: 3f2a9c1d0e4b is live', () => ending()],
    ['✗ deploy: deploy of 3f2a9c1d0e4b failed during the stack update (', () => ending({ failingTags: new Set([RELEASE]) })],
    ['✗ deploy: deploy of 3f2a9c1d0e4b failed during the stack update:', () => ending({}, (w) => {
      w.state.serviceStackStatus = 'UPDATE_ROLLBACK_FAILED';
      w.state.stackEvents.push({ LogicalResourceId: 'ApiService', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'circuit breaker' });
      return failed;
    })],
    ['✗ deploy: deploy of 3f2a9c1d0e4b did not finish', () => ending({}, (w) => {
      w.clock.advance(HOUR);
      w.state.serviceStackStatus = 'UPDATE_IN_PROGRESS';
      return failed;
    })],
    ['✗ deploy: 3f2a9c1d0e4b is live', () => ending({}, (w) => {
      w.state.imageTag = RELEASE;
      w.state.stackEvents.push({ StackName: 'slipway-observability', LogicalResourceId: 'ApiErrorsAlarm', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'Invalid metric' });
      return failed;
    })],
    ['✗ deploy: 3f2a9c1d0e4b failed the smoke gate', () => ending({ badReleases: new Set([RELEASE]) })],
    ['…; left in the account', async () => {
      const service = sampleTemplates()['slipway-service'];
      const added = { ...service, Resources: { ...service.Resources, NewSecret99: { Type: 'AWS::SecretsManager::Secret', DeletionPolicy: 'Retain', Properties: {} } } };
      return ending({ badReleases: new Set([RELEASE]), synthesizedTemplates: { ...sampleTemplates(), 'slipway-service': added } }, undefined, (w) => {
        w.mocks.cfn.on(DescribeStackResourceCommand).resolves({ StackResourceDetail: { LogicalResourceId: 'NewSecret99', PhysicalResourceId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:new-AbCdEf', ResourceType: 'AWS::SecretsManager::Secret', ResourceStatus: 'UPDATE_COMPLETE', LastUpdatedTimestamp: new Date() } });
        return { bucket: 'slipway-attachments-123', key: `releases/${PREVIOUS}/slipway-service.template.json`, body: JSON.stringify(service) };
      });
    }],
  ])('%s', async (start, print) => {
    const quotes = endings(start);
    expect(quotes).toHaveLength(1);
    // An ending quoted from its middle (…; …) may match anywhere in the line.
    expect(await print()).toMatch(start.startsWith('…') ? quotePattern(quotes[0]!) : new RegExp(`^${quotePattern(quotes[0]!).source}`));
  });
});

describe('findNpmRuns', () => {
  it('reads scripts and flags from prose, code and continued lines', () => {
    const text = 'Run `npm run smoke -- --base-url https://x --token "$T"` then\nnpm run deploy -- --dry-run \\\n  --allow-dirty\nnpm run preflight\n';
    expect(findNpmRuns('f', text).map((r) => [r.script, ...r.flags])).toEqual([
      ['smoke', '--base-url', '--token'],
      ['deploy', '--dry-run', '--allow-dirty'],
      ['preflight'],
    ]);
  });

  it('reads a script run with npm --silent', () => {
    expect(findNpmRuns('f', 'run: npm run --silent deploy -- --json > deploy.json\nnpm run -s smoke -- --json | jq').map((r) => [r.script, ...r.flags])).toEqual([
      ['deploy', '--json'],
      ['smoke', '--json'],
    ]);
  });
});
