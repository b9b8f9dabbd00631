/**
 * runbooks/failover.md names the instance, replication group, stack outputs, health checks,
 * alarms, time limits and the lines the smoke gate and the api print during a failover: each
 * is held here to what the stacks synthesize and the code says, so the runbook cannot drift.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../app/src/api/errors.ts';
import { registerHealth } from '../../app/src/api/health.ts';
import { serializerCompiler, validatorCompiler } from '../../app/src/api/schema.ts';
import { databaseConfig } from '../../app/src/config/database.ts';
import { DATABASE_TIMEOUTS } from '../../app/src/db/pool.ts';
import { allOptions, MARKS } from '../../scripts/lib/cli.ts';
import { DEPLOY_SPEC } from '../../scripts/lib/commands.ts';
import { runSmoke, smokeSummary, type SmokeReport } from '../../scripts/lib/smoke.ts';
import { SMOKE_SPEC } from '../../scripts/lib/smoke-command.ts';
import { realClock } from '../../scripts/lib/wait.ts';
import { quotePattern } from '../../scripts/test/support/runbook-text.ts';
import { PROFILE_DEFAULTS, SETTING_NAMES } from '../config.ts';
import { resourceNames } from '../names.ts';
import { MONITORED_DB_PARAMETER, OUTPUT_KEYS, OUTPUT_STACK, stackNames, type OutputName } from '../outputs.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const TEXT = read('runbooks/failover.md');
/** The runbook without its code blocks, lines joined. */
const PROSE = TEXT.replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
/** The commands, continuation lines joined. */
const CODE = [...TEXT.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' ')).join('\n');
const SPANS = [...PROSE.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const commands = (start: string) => CODE.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(start) || l.includes(`$(${start}`));
const flag = (line: string, name: string) => line.match(new RegExp(`--${name} (\\S+)`))?.[1];
/** The `…`-quotes of the runbook that start with `start`. */
const quotes = (start: string) => SPANS.filter((s) => s.startsWith(start));
const keyOf = (outputKey: string) => (Object.keys(OUTPUT_KEYS) as OutputName[]).find((k) => OUTPUT_KEYS[k] === outputKey);

/** The api's readiness routes over a pool and Redis that fail the way a failover makes them. */
async function readinessServer(pool: Partial<pg.Pool>, redis?: Partial<Redis>): Promise<{ app: FastifyInstance; url: URL }> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerHealth(app, { pool: pool as pg.Pool, redis: redis as Redis | undefined, migrations: [], release: 'r1', commit: 'c1', isDraining: () => false, dbTimeoutMs: 200 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: new URL(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`) };
}

/** What `npm run smoke` prints last on stderr for a report. */
const lastLine = (report: SmokeReport) => `${report.ok ? MARKS.pass : MARKS.fail} ${SMOKE_SPEC.name}: ${smokeSummary(report)}`;

describe('failover runbook', () => {
  let synth: SynthesizedApp;
  let trial: SynthesizedApp;
  beforeAll(() => {
    synth = synthApp();
    trial = synthApp({ DEPLOY_PROFILE: 'trial' });
  });
  afterAll(() => {
    synth?.cleanup();
    trial?.cleanup();
  });

  const resources = (app: SynthesizedApp, stack: keyof SynthesizedApp['templates'], type: string) =>
    Object.entries(app.templates[stack].findResources(type)) as Array<[string, any]>;

  it('reads the stack outputs and stack names the stacks have', () => {
    const names = stackNames(synth.config.appName);
    const read = [...CODE.matchAll(/--stack-name (\S+) --query "Stacks\[0\]\.Outputs\[\?OutputKey=='(\w+)'\]/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(read.map(([, o]) => o)).toEqual(['ClusterName', 'ApiServiceName']);
    for (const [stack, output] of read) {
      const key = keyOf(output);
      expect(key, output).toBeDefined();
      expect(stack, output).toBe(names[OUTPUT_STACK[key!]]);
      expect(Object.keys(synth.templates[OUTPUT_STACK[key!]].toJSON().Outputs), output).toContain(output);
    }
    // Prose names only outputs that exist.
    const named = SPANS.filter((s) => /^[A-Z][a-z]+[A-Za-z]*(Name|Identifier)$/.test(s));
    expect(named).toContain('DbInstanceIdentifier');
    expect(named.filter((n) => keyOf(n) === undefined)).toEqual([]);
  });

  it("fails over the instance the app uses: the observability stack's parameter, by default the data stack's instance", () => {
    const names = resourceNames(synth.config.appName, synth.config.account, synth.config.region);
    const [read] = commands('DB=');
    expect(read).toContain(`--stack-name ${stackNames(synth.config.appName).observability} `);
    expect(read).toContain(`?ParameterKey=='${MONITORED_DB_PARAMETER}'`);
    expect(PROSE).toContain(`the observability stack's \`${MONITORED_DB_PARAMETER}\``);
    const parameter = synth.templates.observability.toJSON().Parameters[MONITORED_DB_PARAMETER];
    expect(parameter.Default).toBe(names.dbInstanceIdentifier);
    const [[, instance]] = resources(synth, 'data', 'AWS::RDS::DBInstance');
    expect(instance.Properties.DBInstanceIdentifier).toBe(names.dbInstanceIdentifier);
    expect(commands('aws rds reboot-db-instance').map((l) => flag(l, 'db-instance-identifier'))).toEqual(['"$DB"']);
    expect(commands('aws rds reboot-db-instance')[0]).toMatch(/--force-failover$/);
  });

  it('forces a database failover only where the profile makes the instance Multi-AZ', () => {
    expect(PROFILE_DEFAULTS.production.DB_MULTI_AZ).toBe('true');
    expect(PROFILE_DEFAULTS.trial.DB_MULTI_AZ).toBe('false');
    expect(resources(synth, 'data', 'AWS::RDS::DBInstance')[0]![1].Properties.MultiAZ).toBe(true);
    expect(resources(trial, 'data', 'AWS::RDS::DBInstance')[0]![1].Properties.MultiAZ).toBe(false);
    expect(PROSE).toContain('Production profile (`DB_MULTI_AZ=true`, `REDIS_REPLICATION_ENABLED=true`)');
    expect(PROSE).toContain('RDS allows `--force-failover` only on a Multi-AZ instance');
  });

  it('tests the failover of the one node group of the replication group the data stack creates, with automatic failover only in production', () => {
    const [[, group]] = resources(synth, 'data', 'AWS::ElastiCache::ReplicationGroup');
    const id = group.Properties.ReplicationGroupId;
    expect(id).toBe(resourceNames(synth.config.appName, synth.config.account, synth.config.region).redisReplicationGroupId);
    expect(PROSE).toContain('the replication group is `<APP_NAME>-redis`');
    const ids = [...CODE.matchAll(/--replication-group-id (\S+)/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ids)).toEqual(new Set([id]));
    // Without cluster mode (no NumNodeGroups) the only node group is 0001.
    expect(group.Properties.NumNodeGroups).toBeUndefined();
    expect(group.Properties.NumCacheClusters).toBe(2);
    expect(flag(commands('aws elasticache test-failover')[0]!, 'node-group-id')).toBe('0001');
    expect([group.Properties.AutomaticFailoverEnabled, group.Properties.MultiAZEnabled]).toEqual([true, true]);
    const [[, single]] = resources(trial, 'data', 'AWS::ElastiCache::ReplicationGroup');
    expect([single.Properties.NumCacheClusters, single.Properties.AutomaticFailoverEnabled]).toEqual([1, false]);
  });

  it('says the target groups check liveness, 3 checks 10 s apart', () => {
    const groups = resources(synth, 'service', 'AWS::ElasticLoadBalancingV2::TargetGroup').map(([, g]) => g.Properties);
    expect(new Set(groups.map((g) => g.HealthCheckPath))).toEqual(new Set(['/api/health', '/health']));
    expect(new Set(groups.map((g) => `${g.UnhealthyThresholdCount}x${g.HealthCheckIntervalSeconds}`))).toEqual(new Set(['3x10']));
    expect(PROSE).toContain('liveness (`/api/health` for the api, `/health` for web)');
    expect(PROSE).toContain('about 30 s in (3 checks 10 s apart)');
  });

  it("counts the api's 503s in the target 5xx alarm, not in the load balancer's own 5xx rate", () => {
    const app = synth.config.appName;
    const alarms = Object.fromEntries(resources(synth, 'observability', 'AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
    const metricsOf = (name: string) => (alarms[name].Metrics as any[]).map((m) => m.MetricStat?.Metric.MetricName).filter(Boolean);
    const named = SPANS.filter((s) => s.startsWith('<app>-')).map((s) => s.replace('<app>', app));
    expect(named.filter((n) => !n.endsWith('-deployment-5xx') && !(n in alarms))).toEqual([]);
    expect(metricsOf(`${app}-alb-5xx-rate`)).toContain('HTTPCode_ELB_5XX_Count');
    expect(metricsOf(`${app}-alb-5xx-rate`)).not.toContain('HTTPCode_Target_5XX_Count');
    expect(new Set(metricsOf(`${app}-api-target-5xx`))).toEqual(new Set(['HTTPCode_Target_5XX_Count']));
    expect([alarms[`${app}-api-target-5xx`].Threshold, alarms[`${app}-api-target-5xx`].EvaluationPeriods]).toEqual([25, 1]);
    expect((alarms[`${app}-api-target-5xx`].Metrics as any[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Period)).toEqual([300, 300]);
    expect(PROSE).toContain('they count in `<app>-api-target-5xx` (more than 25 in 5 minutes)');
    expect(PROSE).toContain('`<app>-alb-5xx-rate` counts only the 5xx the load balancer makes itself');
  });

  it('gives the deployment alarm that rolls back a release the failover makes answer 5xx', () => {
    const [[, alarm]] = resources(synth, 'service', 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.AlarmName === `${synth.config.appName}-api-deployment-5xx`);
    const props = alarm.Properties;
    expect([props.Threshold, props.EvaluationPeriods, props.DatapointsToAlarm, props.ComparisonOperator]).toEqual([10, 2, 2, 'GreaterThanOrEqualToThreshold']);
    expect(props.Metrics.find((m: any) => m.Expression).Expression).toBe('FILL(primary, 0) + FILL(alternate, 0)');
    expect(new Set(props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Period))).toEqual(new Set([60]));
    const api = resources(synth, 'service', 'AWS::ECS::Service').map(([, s]) => s.Properties.DeploymentConfiguration.Alarms).find((a) => a.AlarmNames.includes(props.AlarmName));
    expect(api).toMatchObject({ Enable: true, Rollback: true });
    expect(PROSE).toContain('`<app>-api-deployment-5xx` (10 or more api 5xx a minute for 2 minutes, both target groups summed) rolls it back');
  });

  it("gives the api's database time limits, each under the load balancer's idle timeout", () => {
    expect(DATABASE_TIMEOUTS).toEqual({ statementMs: 30_000, idleInTransactionMs: 60_000, readMs: 40_000 });
    // The silence watch looks every quarter of the read limit.
    expect(read('app/src/db/silence-watch.ts')).toContain('setInterval(look, Math.max(25, Math.floor(readMs / 4)))');
    const pool = databaseConfig({ DATABASE_URL: 'postgres://u:p@db.example/slipway', DB_PORT: 5432, DATABASE_MAX_CONNS: 10, DATABASE_MIN_CONNS: 0 }).pool;
    expect(pool.connectionTimeoutMillis).toBe(5_000);
    const [[, lb]] = resources(synth, 'service', 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const idle = Number(lb.Properties.LoadBalancerAttributes.find((a: any) => a.Key === 'idle_timeout.timeout_seconds').Value);
    expect(idle).toBe(60);
    expect(Math.max(...Object.values(DATABASE_TIMEOUTS)) / 1000).toBeLessThanOrEqual(idle);
    expect(PROSE).toContain('a new connection that gets no answer gives up after 5 s');
    expect(PROSE).toContain('gets no answer for 40 s (the pool looks every 10 s, so 40 to 50 s)');
    expect(PROSE).toContain('any statement after 30 s (`503 database_timeout`) and any transaction left idle after 60 s');
    expect(PROSE).toContain("before the load balancer's 60 s idle timeout");
  });

  it('gives the answer a request gets while the database is away', () => {
    const answers = [{ code: 'ECONNREFUSED' }, { code: '57P01' }, { message: 'timeout exceeded when trying to connect' }, { message: 'Connection terminated unexpectedly' }].map(classify);
    for (const answer of answers) expect([answer?.statusCode, answer?.code, answer?.headers?.['retry-after']]).toEqual([503, 'database_unavailable', '5']);
    expect(classify({ code: '57014' })).toMatchObject({ statusCode: 503, code: 'database_timeout' });
    expect(PROSE).toContain('answers `503 database_unavailable` with `Retry-After: 5`');
  });

  it('gives how long a release waits for the database: the migrate connect limit, the green gate budget, the smoke timeout', () => {
    const migrate = resources(synth, 'service', 'AWS::ECS::TaskDefinition').flatMap(([, t]) => t.Properties.ContainerDefinitions).find((c: any) => c.Name === 'migrate');
    const env = Object.fromEntries(migrate.Environment.map((e: any) => [e.Name, e.Value]));
    expect(env.MIGRATE_CONNECT_TIMEOUT_SECONDS).toBe('60');
    expect(PROSE).toContain('waits up to 60 s for the database (`MIGRATE_CONNECT_TIMEOUT_SECONDS` of the migrate task)');
    expect(PROFILE_DEFAULTS.production.GREEN_TEST_BUDGET_SECONDS).toBe('300');
    expect(synth.config.deployment.testBudgetSeconds).toBe(300);
    expect(PROSE).toContain('`GREEN_TEST_BUDGET_SECONDS` (300 s)');
    const smokeTimeout = allOptions(DEPLOY_SPEC)['smoke-timeout'];
    expect(smokeTimeout && 'default' in smokeTimeout ? smokeTimeout.default : undefined).toBe('300');
    expect(PROSE).toContain('`--smoke-timeout` (300 s)');
    // Settings named are the kit's, or the migrate task's own variable.
    const upper = SPANS.flatMap((s) => [...s.matchAll(/^([A-Z][A-Z0-9_]+)(=|$)/g)].map((m) => m[1]!));
    expect(upper.filter((n) => !(SETTING_NAMES as readonly string[]).includes(n) && !(n in env) && n !== 'READONLY' && n !== 'PING')).toEqual([]);
  });

  it("quotes the deploy's ending when the migration cannot reach the database", () => {
    expect(read('app/src/migrate/command.ts')).toContain('within ${timeoutSeconds} s (MIGRATE_CONNECT_TIMEOUT_SECONDS)');
    const deploy = read('scripts/lib/deploy.ts');
    expect(deploy).toContain("'stack-update': `failed during the stack update (${rolled.reason}); CloudFormation kept the previous release`");
    expect(deploy).toContain('summary: `deploy of ${tag} ${where}; running now: ');
    expect(PROSE).toContain('`✗ deploy: deploy of <tag> failed during the stack update (…); CloudFormation kept the previous release; running now: …`');
  });

  it('quotes the lines the api logs during a failover, and reads them from the api log group', () => {
    const sources = ['app/src/db/pool.ts', 'app/src/ratelimit/index.ts', 'app/src/redis/client.ts'].map(read).join('\n');
    const lines = ['a database connection got no answer: closing it (the server or the network is gone)', 'rate limiter cannot reach redis; counting in this process until it returns', 'redis connection restored'];
    for (const line of lines) {
      expect(sources).toContain(`'${line}'`);
      expect(PROSE).toContain(`\`${line}\``);
    }
    expect(CODE).toContain(`--filter-pattern '"rate limiter cannot reach redis"'`);
    const [logsRead] = commands('API_LOGS=');
    const prefix = logsRead!.match(/starts_with\(LogicalResourceId, '(\w+)'\)/)![1]!;
    const api = resources(synth, 'service', 'AWS::ECS::TaskDefinition').flatMap(([, t]) => t.Properties.ContainerDefinitions).find((c: any) => c.Name === 'api');
    const group = api.LogConfiguration.Options['awslogs-group'].Ref;
    expect(group.startsWith(prefix)).toBe(true);
    expect(resources(synth, 'service', 'AWS::Logs::LogGroup').map(([id]) => id).filter((id) => id.startsWith(prefix))).toEqual([group]);
  });

  describe('the smoke loop', () => {
    const servers: FastifyInstance[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });
    const gate = async (pool: Partial<pg.Pool>, redis?: Partial<Redis>) => {
      const { app, url } = await readinessServer(pool, redis);
      servers.push(app);
      return runSmoke({ baseUrl: url, timeoutMs: 1_500, requestTimeoutMs: 1_000 }, { clock: realClock });
    };
    const healthyPool = { query: async () => ({ rows: [] }) } as unknown as Partial<pg.Pool>;

    it('runs the gate with the flags it has, keeping stdout (the check lines) out', () => {
      const [loop] = commands('while true; do');
      expect(loop).toContain('npm run --silent smoke -- --base-url https://tracker.example.com --timeout 30 >/dev/null');
      expect(allOptions(SMOKE_SPEC).timeout).toBeDefined();
      // The last line goes to stderr, so it is what the loop shows.
      expect(read('scripts/lib/cli.ts')).toContain('io.stderr.write(`${result.ok ? MARKS.pass : MARKS.fail} ${spec.name}: ${result.summary}\\n`)');
    });

    it('quotes the line of a round while the database fails over', async () => {
      const report = await gate({ query: async () => Promise.reject(new Error('connect ECONNREFUSED 10.0.3.17:5432')) } as unknown as Partial<pg.Pool>);
      const [quote] = quotes(`${MARKS.fail} smoke: smoke gate failed: ready:`);
      expect(quote).toContain('not ready: db (database unreachable: …)');
      expect(lastLine(report)).toMatch(quotePattern(quote!));
      expect(lastLine(report)).toContain('migrations (cannot check: database unreachable)');
      expect(PROSE).toContain('`migrations (cannot check: database unreachable)`');
    });

    it('quotes the readiness of a round while Redis fails over', async () => {
      const redis = { status: 'reconnecting', once: () => redis, off: () => redis } as unknown as Partial<Redis>;
      const report = await gate(healthyPool, redis);
      const ready = report.checks.find((c) => c.id === 'ready')!;
      const [quote] = quotes('not ready: redis');
      expect(ready.detail).toMatch(quotePattern(quote!));
    });

    it('quotes the line of a round that passes: 7 passed and 3 skipped without tokens over https', async () => {
      const report = await gate(healthyPool);
      const [quote] = quotes(`${MARKS.pass} smoke: smoke gate passed:`);
      const ready = report.checks.find((c) => c.id === 'ready')!;
      expect(ready.status).toBe('pass');
      // Over http the two TLS checks skip; over the https base URL they pass.
      const tls = report.checks.filter((c) => c.id.startsWith('tls-'));
      expect(tls.map((c) => c.status)).toEqual(['skip', 'skip']);
      const tokenSkips = report.checks.filter((c) => c.status === 'skip' && !c.id.startsWith('tls-')).map((c) => c.id);
      expect(tokenSkips).toEqual(['metrics-token', 'api-list', 'api-events']);
      const passOverHttps = report.checks.length - tokenSkips.length;
      expect(quote).toBe(`${MARKS.pass} smoke: smoke gate passed: ${passOverHttps} passed, ${tokenSkips.length} skipped in …`);
      expect(smokeSummary({ ...report, ok: true, failed: [] })).toMatch(/^smoke gate passed: \d+ passed, \d+ skipped in \d+s$/);
    });
  });
});
