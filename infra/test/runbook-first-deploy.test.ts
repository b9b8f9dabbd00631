/**
 * runbooks/first-deploy.md names settings, the records the stacks write in the hosted zone, the
 * bootstrap command, preflight's and the deploy's lines, cost figures and the teardown's: each
 * is held here to infra/config.ts, the synthesized stacks and the code that prints them, so the
 * runbook cannot drift from them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemblyFromCloudAssembly, type AssemblyInput } from '../../scripts/lib/cost/assembly.ts';
import { budgetVerdict } from '../../scripts/lib/cost/budget-verdict.ts';
import { estimateAssembly, largestLines } from '../../scripts/lib/cost/estimate.ts';
import { usd } from '../../scripts/lib/cost/report.ts';
import { MARKS, Reporter } from '../../scripts/lib/cli.ts';
import { DEPLOY_SPEC } from '../../scripts/lib/commands.ts';
import { deploy, type DeployOptions } from '../../scripts/lib/deploy.ts';
import { alarmSubscriptionStep, signInStep, smokeTokenStep } from '../../scripts/lib/deploy-summary.ts';
import { checkBootstrap, checkCertificate, checkHostedZone, checkSes, preflight, type PreflightCheck } from '../../scripts/lib/preflight.ts';
import { checkServiceLinkedRoles } from '../../scripts/lib/preflight-service-roles.ts';
import { checkSesSandbox, sandboxOutcome } from '../../scripts/lib/ses-sandbox.ts';
import { SMOKE_CHECKS, smokeSummary } from '../../scripts/lib/smoke.ts';
import { SMOKE_SPEC } from '../../scripts/lib/smoke-command.ts';
import { StackOutputs } from '../../scripts/lib/stacks.ts';
import { costThatStops } from '../../scripts/lib/teardown/cost.ts';
import { deletionOrder } from '../../scripts/lib/teardown/policy.ts';
import { quotePattern } from '../../scripts/test/support/runbook-text.ts';
import { makeWorld } from '../../scripts/test/support/world.ts';
import { DEPLOY_CHECKS, EXAMPLE_SETTINGS_CONTEXT_KEY, loadConfig, SETTING_NAMES } from '../config.ts';
import { resourceNames } from '../names.ts';
import { OUTPUT_KEYS, STACK_KEYS, stackNames } from '../outputs.ts';
import { EXAMPLE_SETTINGS, exampleConfig, synthApp, type SynthesizedApp } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TEXT = readFileSync(join(ROOT, 'runbooks/first-deploy.md'), 'utf8');
/** The runbook without its code blocks, lines joined. */
const PROSE = TEXT.replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
const BLOCKS = [...TEXT.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
const CODE = BLOCKS.join('\n');
const SPANS = [...PROSE.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
/** The lines of a code block, trimmed. */
const LINES = CODE.split('\n').map((l) => l.trim());
/** The code-block line that starts with `start`. */
const lineStarting = (start: string, lines = LINES) => {
  const found = lines.filter((l) => l.startsWith(start));
  expect(found, start).toHaveLength(1);
  return found[0]!;
};
/** The release the runbook's examples show. */
const RELEASE = '3f2a9c1d0e4b';

const estimateOf = (s: SynthesizedApp): AssemblyInput => assemblyFromCloudAssembly(s.app.synth());

describe('first-deploy runbook', () => {
  let production: SynthesizedApp;
  let trial: SynthesizedApp;
  beforeAll(() => {
    production = synthApp();
    trial = synthApp({ DEPLOY_PROFILE: 'trial' });
  }, 240_000);
  afterAll(() => {
    production?.cleanup();
    trial?.cleanup();
  });

  it('names only settings the kit reads, and variables the commands read', () => {
    const envs = [DEPLOY_SPEC, SMOKE_SPEC].flatMap((s) => Object.values(s.options).map((o) => o.env)).filter(Boolean) as string[];
    const statuses = ['CREATE_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'NS'];
    const named = [...new Set(SPANS.flatMap((s) => [...s.matchAll(/^([A-Z][A-Z0-9_]+)(=|$)/g)].map((m) => m[1]!)))];
    expect(named).toEqual(expect.arrayContaining(['DEPLOY_PROFILE', 'AWS_REGION', 'ALARM_EMAIL', 'COST_BUDGET_USD', 'SENDER_EMAIL', 'SMOKE_TOKEN']));
    expect(named.filter((n) => !(SETTING_NAMES as readonly string[]).includes(n) && !envs.includes(n) && !statuses.includes(n))).toEqual([]);
  });

  it('asks for every setting the example layer fills, and adds the one the deployment section of .env.example lacks', () => {
    const step = PROSE.slice(PROSE.indexOf('Write the settings in `.env`'), PROSE.indexOf('Bootstrap CDK once'));
    const example = Object.keys(EXAMPLE_SETTINGS);
    expect(example.filter((k) => !step.includes(`\`${k}\``))).toEqual([]);
    expect(step).toContain(`(\`${EXAMPLE_SETTINGS_CONTEXT_KEY}\`)`);
    // The section the runbook says to copy: from DEPLOY_PROFILE= to the end.
    const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const section = envExample.slice(envExample.indexOf('\nDEPLOY_PROFILE='));
    const set = [...section.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    const lacking = example.filter((k) => !set.includes(k));
    expect(lacking).toEqual(['AWS_REGION']);
    expect(envExample).toMatch(/^AWS_REGION=/m);
    expect(step).toContain('add `AWS_REGION` (in `.env.example` it sits in the app section above');
  });

  it('says ALARM_EMAIL is required in production, and that an empty one keeps the example value', () => {
    const without = (profile: string) => DEPLOY_CHECKS.flatMap((c) => c(exampleConfig({ DEPLOY_PROFILE: profile, ALARM_EMAIL: '' })));
    expect(without('production')).toHaveLength(1);
    // An empty value is no value: the example layer fills it, and preflight fails on it.
    const own = Object.fromEntries(Object.keys(EXAMPLE_SETTINGS).map((k) => [k, k === 'ALARM_EMAIL' ? '' : `${EXAMPLE_SETTINGS[k]}`]));
    const trialConfig = loadConfig({ envFile: false, env: { ...own, DEPLOY_PROFILE: 'trial' }, context: {}, example: EXAMPLE_SETTINGS });
    expect(trialConfig.alarmEmail).toBe(EXAMPLE_SETTINGS.ALARM_EMAIL);
    expect(trialConfig.exampleSettings).toEqual(['ALARM_EMAIL']);
    expect(PROSE).toContain(`\`ALARM_EMAIL\` (required in production, and in a trial too: left empty it keeps the example's \`${EXAMPLE_SETTINGS.ALARM_EMAIL}\`, which preflight refuses)`);
  });

  it('bootstraps with the command preflight prints for an account not bootstrapped', async () => {
    const ssm = { send: async () => Promise.reject(Object.assign(new Error('not found'), { name: 'ParameterNotFound' })) };
    const outcome = await checkBootstrap.run({ config: production.config, clients: { ssm } } as never);
    expect(outcome.status).toBe('fail');
    expect(LINES.filter((l) => l.startsWith('npx cdk bootstrap'))).toEqual([outcome.fix]);
  });

  it('lists the records the stacks write in the hosted zone', () => {
    const zone = production.config.domain.hostedZoneId;
    const records = Object.values(production.templates)
      .flatMap((t) => Object.values(t.findResources('AWS::Route53::RecordSet')) as any[])
      .filter((r) => r.Properties.HostedZoneId === zone);
    const types = records.map((r) => r.Properties.Type).sort();
    expect(types).toEqual(['A', 'AAAA', 'CNAME', 'CNAME', 'CNAME', 'MX', 'TXT']);
    const named = (type: string) => records.filter((r) => r.Properties.Type === type).map((r) => r.Properties.Name);
    expect(new Set([...named('A'), ...named('AAAA')])).toEqual(new Set([`${production.config.domain.domainName}.`]));
    expect(new Set([...named('MX'), ...named('TXT')])).toEqual(new Set([`${production.config.email.mailFromDomain}.`]));
    expect(production.config.email.mailFromDomain).toBe(`mail.${production.config.domain.domainName}`);
    // The certificate's validation CNAME: CloudFormation writes it in the zone given here.
    const [certificate] = Object.values(production.templates.edge.findResources('AWS::CertificateManager::Certificate')) as any[];
    expect(certificate.Properties.ValidationMethod).toBe('DNS');
    expect(certificate.Properties.DomainValidationOptions).toEqual([{ DomainName: production.config.domain.domainName, HostedZoneId: zone }]);
    expect(PROSE).toContain('the certificate\'s validation CNAME, the three SES DKIM CNAMEs, the MX and SPF records of the MAIL FROM domain (`mail.DOMAIN_NAME`) and the A and AAAA alias records of `DOMAIN_NAME`');
  });

  it('quotes the lines preflight prints on a ready account', async () => {
    const config = production.config;
    const nameServers = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com', 'ns-3.awsdns-03.net', 'ns-4.awsdns-04.co.uk'];
    const clients = {
      route53: { send: async () => ({ HostedZone: { Name: `${config.domain.hostedZoneName}.`, Config: { PrivateZone: false } }, DelegationSet: { NameServers: nameServers } }) },
      ses: {
        send: async (command: object) => {
          if (command.constructor.name === 'GetEmailIdentityCommand') throw Object.assign(new Error('no such identity'), { name: 'NotFoundException' });
          return { ProductionAccessEnabled: false, SendQuota: { Max24HourSend: 200 } };
        },
      },
      iam: { send: async () => ({ Roles: [{ RoleName: 'x' }] }) },
    };
    const checks: PreflightCheck[] = [checkHostedZone, checkCertificate, checkSes, checkSesSandbox, checkServiceLinkedRoles];
    const out: string[] = [];
    const reporter = new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } });
    const ctx = { config, clients, resolveNs: async () => nameServers, clock: { now: () => Date.now() }, env: {} };
    const result = await preflight(() => ({ ...config, exampleSettings: [] }), () => ctx as never, reporter, checks);
    expect(result.ok).toBe(true);
    const printed = out.join('').split('\n').filter(Boolean);
    const block = /Expected on a ready account:\n\n\s*```text\n([\s\S]*?)```/.exec(TEXT)![1]!.split('\n').map((l) => l.trim());
    expect(printed).toHaveLength(checks.length + 2); // settings, the checks, the sandbox warning's fix
    for (const line of printed) {
      const trimmed = line.trim();
      const head = trimmed.startsWith('fix:') ? trimmed.slice(0, 'fix: request'.length) : /^[✓✗!-] [^:]+:/.exec(trimmed)![0];
      expect(trimmed).toMatch(quotePattern(lineStarting(head, block)));
    }
  });

  it('quotes what preflight says when it cannot read the sandbox status', () => {
    const { detail } = sandboxOutcome({ state: 'unknown', reason: 'GetAccount failed with HTTP 403: AccessDeniedException: denied' }, production.config);
    const quote = SPANS.find((s) => s.startsWith('could not read'))!;
    expect(detail.startsWith(`${quote} (`)).toBe(true);
  });

  it('quotes the SES identity line once SES has found the DKIM records', async () => {
    const ses = { send: async () => ({ VerifiedForSendingStatus: true, DkimAttributes: { Status: 'SUCCESS' } }) };
    const outcome = await checkSes.run({ config: production.config, clients: { ses } } as never);
    expect(PROSE).toContain(`\`${MARKS.pass} ${checkSes.name}: ${outcome.detail}\``);
    // Mail goes out from SENDER_EMAIL, by default no-reply@ the SES domain, which is DOMAIN_NAME.
    expect(production.config.email.senderEmail).toBe(`no-reply@${production.config.domain.domainName}`);
    expect(PROSE).toContain('Sign-in mail goes out from `no-reply@DOMAIN_NAME` (`SENDER_EMAIL`)');
  });

  it('quotes a first deploy\'s dry run', async () => {
    const world = makeWorld({ imageTag: undefined, serviceStackDeployed: false, registryDeployed: false, images: new Set() });
    const result = await deploy(options({ dryRun: true }), world.deps);
    const tag = 'bbbbbbbbbbbb';
    const quote = SPANS.find((s) => s.startsWith(`${MARKS.pass} deploy: dry run`))!.replace(RELEASE, tag);
    expect(`${MARKS.pass} deploy: ${result.summary}`).toMatch(quotePattern(quote));
    expect(world.out.join('')).toContain(SPANS.find((s) => s.startsWith('running now:'))!);
  });

  it('quotes the end of a first deploy that passes its gate', async () => {
    const world = makeWorld({ imageTag: undefined, serviceStackDeployed: false, registryDeployed: false, images: new Set() });
    const result = await deploy(options(), world.deps);
    expect(result.ok).toBe(true);
    const printed = `${world.out.join('')}${MARKS.pass} deploy: ${result.summary}\n`;
    // The world's bucket, release and migration stand for the runbook's.
    const bucket = resourceNames(production.config.appName, production.config.account, production.config.region).attachmentsBucket;
    const local = (line: string) => line.replaceAll(RELEASE, 'bbbbbbbbbbbb').replace(bucket, 'slipway-attachments-123').replace(/\(migration \S+\)/, '(migration 0007)').replace(/passed in [0-9hms]+/, 'passed in …');
    for (const start of ['✓ service template:', '✓ release recorded:', '✓ deploy:']) {
      expect(printed).toMatch(quotePattern(local(lineStarting(start))));
    }
    expect(lineStarting('✓ service template:')).toContain(`s3://${bucket}/`);
  });

  it('gives the migration a fresh database reports: the latest file', () => {
    const files = readdirSync(join(ROOT, 'app/migrations')).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    expect(lineStarting('✓ deploy:')).toContain(`(migration ${files.at(-1)!.replace(/\.sql$/, '')})`);
  });

  it('gives the smoke gate\'s counts without and with a token', () => {
    const report = (passed: number, skipped: number) => ({
      ok: true, baseUrl: '', durationMs: 12_000, failed: [],
      checks: [...Array(passed).fill({ status: 'pass' }), ...Array(skipped).fill({ status: 'skip' })],
    });
    // The two checks that need a personal access token: the authenticated list and the event stream.
    expect(SMOKE_CHECKS).toHaveLength(10);
    expect(lineStarting('✓ smoke gate:')).toBe(`✓ smoke gate: ${smokeSummary(report(8, 2) as never)}`);
    expect(PROSE).toContain(`\`✓ smoke: ${smokeSummary(report(10, 0) as never).replace(/ in \d+s$/, ' in …')}\``);
  });

  it('quotes the next steps a first deploy lists', async () => {
    const config = production.config;
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:slipway-alarms';
    const outputs = new StackOutputs({ send: async () => ({ Stacks: [{ Outputs: [{ OutputKey: OUTPUT_KEYS.alarmTopicArn, OutputValue: topicArn }] }] }) } as never, config.appName);
    const sns = { send: async () => ({ Subscriptions: [{ Protocol: 'email', Endpoint: config.alarmEmail, SubscriptionArn: 'PendingConfirmation' }] }) };
    const http = async () => ({ status: 200, body: JSON.stringify({ signIn: { emailLink: true, providers: [] } }) });
    const steps = [
      await alarmSubscriptionStep(config, outputs, sns as never),
      await signInStep(config.appUrl, http as never),
      smokeTokenStep(config.appUrl, undefined),
    ];
    for (const s of steps) {
      expect(s.state).toBe('open');
      expect(`${MARKS.warn} ${s.name}: ${s.detail}`).toMatch(quotePattern(lineStarting(`${MARKS.warn} ${s.name}:`)));
    }
    // What a later deploy shows done, and the sign-in step that stays open.
    expect(smokeTokenStep(config.appUrl, 'pat_x').state).toBe('done');
    expect(PROSE).toContain('the smoke token once the deploy is given it (`--smoke-token` or `SMOKE_TOKEN`); the sign-in step always stays listed');
  });

  it('says which stacks have termination protection in production', () => {
    const stacks = Object.entries(production.stacks).filter(([, s]) => s.terminationProtection).map(([k]) => k);
    expect(stacks.sort()).toEqual(['data', 'registry']);
    expect(Object.values(trial.stacks).filter((s) => s.terminationProtection)).toEqual([]);
    expect(PROSE).toContain('(in production the registry and data stacks with termination protection on)');
  });

  it('quotes the line a failed stack update prints', async () => {
    const world = makeWorld({ imageTag: undefined, serviceStackDeployed: false, failingTags: new Set(['bbbbbbbbbbbb']) });
    const result = await deploy(options(), world.deps);
    expect(result.ok).toBe(false);
    const quote = SPANS.find((s) => s.startsWith(`${MARKS.fail} stack update`))!.replace(RELEASE, 'bbbbbbbbbbbb');
    expect(world.out.join('')).toMatch(quotePattern(quote));
  });

  it('reads the metrics token from the data stack output the gate reads', () => {
    const exported = Object.keys(production.templates.data.toJSON().Outputs);
    expect(exported).toContain(OUTPUT_KEYS.metricsTokenSecretArn);
    expect(CODE).toContain(`--stack-name ${stackNames(production.config.appName).data} --query "Stacks[0].Outputs[?OutputKey=='${OUTPUT_KEYS.metricsTokenSecretArn}'].OutputValue"`);
    expect(PROSE).toContain(`\`${OUTPUT_KEYS.metricsTokenSecretArn}\``);
  });

  it('gives the three largest lines of each profile at us-east-1 prices', () => {
    for (const [profile, synth] of [['production', production], ['trial', trial]] as const) {
      const top = largestLines(estimateAssembly(estimateOf(synth), { priceRegion: 'us-east-1' })).map((l) => `${l.label} × ${l.count} ${usd(l.monthlyUsd)}`).join(', ');
      const row = TEXT.split('\n').find((l) => l.startsWith(`| \`${profile}\` |`))!;
      expect(row.split('|')[3]!.trim(), profile).toBe(top);
    }
  });

  it('shows the eu-west-1 estimate with the lines it cannot price', () => {
    const estimate = estimateAssembly(estimateOf(production));
    expect(estimate.region).toBe(production.config.region);
    expect(lineStarting('✓ cost:')).toBe(`✓ cost: production ${usd(estimate.monthlyUsd)}/mo (${estimate.unpriced.length} line(s) not priced: the totals are lower bounds)`);
    expect(lineStarting('total ')).toMatch(new RegExp(`^total\\s+\\${usd(estimate.monthlyUsd)}$`));
    const listed = LINES.filter((l) => l.startsWith('! ') && l.includes(' in eu-west-1: not found')).map((l) => l.slice(2, l.indexOf(': ')));
    expect(listed).toEqual(estimate.unpriced.map((u) => u.label));
  });

  it('quotes the budget guard over budget at us-east-1 prices, and unable to check at eu-west-1 prices', () => {
    const over = budgetVerdict(estimateAssembly(estimateOf(production), { priceRegion: 'us-east-1' }), 300);
    expect(over.status).toBe('over');
    expect(lineStarting('✗ cost budget:')).toBe(`✗ cost budget: ${over.message}`);
    expect(lineStarting('fix: lower the settings')).toBe(`fix: ${over.fix}`);
    const unpriced = budgetVerdict(estimateAssembly(estimateOf(production)), 300);
    expect(unpriced.status).toBe('unpriced');
    expect(unpriced.message).toContain(SPANS.find((s) => s.startsWith('cannot be checked'))!);
  });

  it('gives the monthly cost a trial teardown stops', () => {
    const records = STACK_KEYS.map((key) => ({
      key, stackName: stackNames(trial.config.appName)[key], template: trial.templates[key].toJSON(),
      stackId: key, status: 'CREATE_COMPLETE', deleted: false, terminationProtection: false, tags: {}, parameters: {}, nested: [], resources: [],
    }));
    const cost = costThatStops(deletionOrder(records) as never, trial.config.region, () => false, 'us-east-1')!;
    expect(lineStarting('Monthly cost that stops:')).toBe(`Monthly cost that stops: ${usd(cost.stopsUsd)} of the ${usd(cost.deployedUsd)} the deployed templates are estimated at (us-east-1 prices, npm run cost).`);
    expect(lineStarting('largest:')).toBe(`largest: ${cost.largest.slice(0, 2).join('; ')}; …`);
  });
});

function options(o: Partial<DeployOptions> = {}): DeployOptions {
  return {
    config: exampleConfig(), dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true,
    timeouts: { deployMs: 600_000, stableMs: 600_000, smokeMs: 1_000 }, ...o,
  };
}
