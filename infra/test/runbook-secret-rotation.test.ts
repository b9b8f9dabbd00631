/**
 * runbooks/secret-rotation.md names stack outputs, secret names, the Redis replication group,
 * the rotation schedule, settings and lines the kit prints: each is held here to what the
 * stacks synthesize and the code says, so the runbook cannot drift from them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNSET_SECRET_KEY } from '../../app/src/config/oauth-providers.ts';
import { MARKS } from '../../scripts/lib/cli.ts';
import { checkSecrets } from '../../scripts/lib/preflight.ts';
import { SETTING_NAMES } from '../config.ts';
import { databaseLogins } from '../constructs/database-logins.ts';
import { oauthClientSecretName, resourceNames } from '../names.ts';
import { OUTPUT_KEYS, OUTPUT_STACK, type OutputName } from '../outputs.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FILE = 'runbooks/secret-rotation.md';
const TEXT = readFileSync(join(ROOT, FILE), 'utf8');
/** The runbook without its code blocks, lines joined. */
const PROSE = TEXT.replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
const CODE = [...TEXT.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** Stack outputs the runbook names: `XxxArn` in prose and `<XxxArn>` in commands. */
export function namedOutputs(prose: string, code: string): string[] {
  const inProse = spans(prose).flatMap((s) => [...s.matchAll(/^([A-Z][A-Za-z]+Arn)$/g)].map((m) => m[1]!));
  const inCode = [...code.matchAll(/<([A-Z][A-Za-z]+Arn)>/g)].map((m) => m[1]!);
  return [...new Set([...inProse, ...inCode])];
}

const keyOf = (outputKey: string) => (Object.keys(OUTPUT_KEYS) as OutputName[]).find((k) => OUTPUT_KEYS[k] === outputKey);

describe('secret-rotation runbook', () => {
  let synth: SynthesizedApp;
  let oauth: SynthesizedApp;
  beforeAll(() => {
    synth = synthApp();
    oauth = synthApp({ GITHUB_CLIENT_ID: 'Ov23liAbCdEf01234567', GOOGLE_CLIENT_ID: '123456789012-abc.apps.googleusercontent.com' });
  });
  afterAll(() => {
    synth?.cleanup();
    oauth?.cleanup();
  });

  it('names only outputs the data stack exports, and every secret output it has', () => {
    const named = namedOutputs(PROSE, CODE);
    const exported = Object.keys(synth.templates.data.toJSON().Outputs);
    expect(named.filter((o) => keyOf(o) === undefined || OUTPUT_STACK[keyOf(o)!] !== 'data' || !exported.includes(o))).toEqual([]);
    // A secret the runbook leaves out is one nobody rotates.
    expect(exported.filter((o) => o.endsWith('SecretArn') && !named.includes(o))).toEqual([]);
  });

  it('gives the secret names the data stack creates', () => {
    const names = resourceNames(synth.config.appName, synth.config.account, synth.config.region);
    const secretNames = Object.values(oauth.templates.data.findResources('AWS::SecretsManager::Secret')).map((r: any) => r.Properties.Name);
    const inRunbook = spans(PROSE).filter((s) => s.startsWith('<APP_NAME>/')).map((s) => s.replace('<APP_NAME>', synth.config.appName));
    expect(inRunbook).toEqual(expect.arrayContaining([names.dbAppSecret, names.dbSecret]));
    expect(inRunbook.filter((n) => !secretNames.includes(n))).toEqual([]);
    const literal = [...CODE.matchAll(/--secret-id ([a-z][\w/-]+)/g)].map((m) => m[1]!);
    expect(literal).toContain(oauthClientSecretName(names.appSecretPrefix, 'github'));
    expect(literal.filter((n) => !secretNames.includes(n))).toEqual([]);
  });

  it('says the api signs in with the api login secret by default, and migrate with the master', () => {
    expect(synth.config.database.appLogin).toBe(true);
    const { database } = synth.stacks.data;
    const logins = databaseLogins(database.secret, database.appSecret);
    expect(logins.api.environment.DB_SECRET_ARN).toBe(database.appSecret!.secretArn);
    expect(logins.migrate.environment.DB_SECRET_ARN).toBe(database.secret.secretArn);
    expect(PROSE).toContain('the api signs in as its own login `slipway_app` (secret `<APP_NAME>/db/app`, data stack output `DbAppSecretArn`');
    expect(CODE).toMatch(/rotate-secret --secret-id <DbAppSecretArn>\s+# the api's login/);
  });

  it('gives the rotation schedule of both database secrets', () => {
    const schedules = Object.values(synth.templates.data.findResources('AWS::SecretsManager::RotationSchedule')).map((r: any) => r.Properties.RotationRules.ScheduleExpression);
    expect(schedules).toEqual(['rate(30 days)', 'rate(30 days)']);
    const rows = TEXT.split('\n').filter((l) => /^\| (api login|database master) password/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => !r.includes('| automatically every 30 days'))).toEqual([]);
  });

  it('modifies the replication group the data stack creates', () => {
    const [group] = Object.values(synth.templates.data.findResources('AWS::ElastiCache::ReplicationGroup')) as any[];
    const ids = [...CODE.matchAll(/--replication-group-id (\S+)/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ids)).toEqual(new Set([group.Properties.ReplicationGroupId]));
    expect(PROSE).toContain(`\`<APP_NAME>-redis\` (\`${group.Properties.ReplicationGroupId}\`)`);
  });

  it('waits for the cache after each AUTH token modification, before the tasks use the token', () => {
    const lines = CODE.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim());
    const rotate = lines.findIndex((l) => l.includes('--auth-token-update-strategy ROTATE'));
    const set = lines.findIndex((l) => l.includes('--auth-token-update-strategy SET'));
    const put = lines.findIndex((l) => l.startsWith('aws secretsmanager put-secret-value --secret-id <RedisAuthSecretArn>'));
    const restart = lines.findIndex((l, i) => i > put && l === 'npm run deploy -- --restart');
    const waits = lines.map((l, i) => (l.startsWith('aws elasticache wait replication-group-available') ? i : -1)).filter((i) => i >= 0);
    expect([rotate, put, restart, set].every((i) => i >= 0)).toBe(true);
    expect(waits.some((w) => w > rotate && w < put)).toBe(true);
    expect(restart < set && waits.some((w) => w > set)).toBe(true);
  });

  it('names only settings the kit reads and variables the api container gets', () => {
    const api = Object.values(synth.templates.service.findResources('AWS::ECS::TaskDefinition'))
      .flatMap((r: any) => r.Properties.ContainerDefinitions)
      .find((c: any) => c.Name === 'api');
    const containerNames = [...(api.Environment ?? []), ...(api.Secrets ?? [])].map((e: any) => e.Name);
    const upper = spans(PROSE).filter((s) => /^[A-Z][A-Z0-9_]+$/.test(s) && !['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS', 'ROTATE', 'SET'].includes(s));
    expect(upper.length).toBeGreaterThan(5);
    expect(upper.filter((s) => !(SETTING_NAMES as readonly string[]).includes(s) && !containerNames.includes(s))).toEqual([]);
  });

  it('quotes the lines the api, deploy and preflight print', async () => {
    const secretPassword = readFileSync(join(ROOT, 'app/src/db/secret-password.ts'), 'utf8');
    expect(secretPassword).toContain("'the database password changed in Secrets Manager; new connections use the new one'");
    expect(PROSE).toContain('`the database password changed in Secrets Manager; new connections use the new one`');
    expect(readFileSync(join(ROOT, 'scripts/lib/deploy.ts'), 'utf8')).toContain('summary: `restarted the services on ${release}; smoke gate passed`');
    expect(PROSE).toContain('`✓ deploy: restarted the services on 3f2a9c1d0e4b; smoke gate passed`');
    expect(PROSE).toContain(`--secret-string '{"${UNSET_SECRET_KEY}":"off"}'`);

    const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
    const outputs = (['sessionSecretArn', 'metricsTokenSecretArn', 'credentialsKeySecretArn'] as const).map((k) => ({ OutputKey: OUTPUT_KEYS[k], OutputValue: arn(k) }));
    const clients = {
      cfn: { send: async () => ({ Stacks: [{ StackName: `${synth.config.appName}-data`, Outputs: outputs }] }) },
      secrets: { send: async () => ({ SecretString: 'q7Rk2LmN9vBx4TzW8yHc3JdF6gPa1sUeQ0oIiKnM5bVr' }) },
    };
    const outcome = await checkSecrets.run({ config: synth.config, clients } as never);
    expect(outcome.status).toBe('pass');
    expect(PROSE).toContain(`\`${MARKS.pass} ${checkSecrets.name}: ${outcome.detail}\``);
  });
});

describe('namedOutputs', () => {
  it('reads output names from prose and command placeholders, not other words', () => {
    expect(namedOutputs(' (`DbSecretArn`) and `RotationLambdaARN` and `<arn>` ', 'x --secret-id <SessionSecretArn> --y <arn>')).toEqual(['DbSecretArn', 'SessionSecretArn']);
  });
});
