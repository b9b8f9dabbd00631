/**
 * The day-2 changes the change-safety replay (replay.test.ts) proves. Each scenario names two
 * sets of settings (over the example settings in cdk.json, the production profile unless
 * DEPLOY_PROFILE says otherwise) and, optionally, CDK context. The replay synthesizes both,
 * diffs every stack with @aws-cdk/cloudformation-diff and asserts the change is safe in the
 * directions given, or that it is refused with the expected finding.
 *
 * To add a scenario, append an entry: a name that says what an operator changes, `from` and
 * `to`, `oneWay` if only that direction is a real change, and `check` for what else must hold
 * (see `untouched` and `updatedInPlace` below). Synthesized variants are cached by their
 * settings, so a scenario that reuses a side costs nothing extra.
 */
import { expect } from 'vitest';
import type { ChangeReport } from '../policies/change-safety.ts';
import { isStatefulType } from '../policies/stateful-resources.ts';

export interface ReplaySide {
  /** Settings over the example settings. */
  readonly settings?: Readonly<Record<string, string>>;
  /** CDK context over cdk.json (feature flags). */
  readonly context?: Readonly<Record<string, unknown>>;
}

export interface ReplayScenario {
  readonly name: string;
  readonly from: ReplaySide;
  readonly to: ReplaySide;
  /** Only from -> to is replayed (e.g. storage only grows). @default false: both directions */
  readonly oneWay?: boolean;
  /**
   * The change is unsafe: the replay expects a finding matching this, and the deploy guard
   * refuses it on the deployed templates. @default - the change must have no finding
   */
  readonly refusedWith?: RegExp;
  /** More assertions on the report of each replayed direction. */
  readonly check?: (report: ChangeReport, direction: 'forward' | 'back') => void;
}

/** Asserts that no resource of `type` changes at all. */
export const untouched = (type: string) => (report: ChangeReport) => {
  expect(report.changes.filter((c) => c.type === type).map((c) => `${c.logicalId} ${c.impact}`)).toEqual([]);
};

/** Asserts that the resources of `type` change, and only in place. */
export const updatedInPlace = (type: string) => (report: ChangeReport) => {
  const changes = report.changes.filter((c) => c.type === type);
  expect(changes.length, `${type} changes`).toBeGreaterThan(0);
  expect(changes.filter((c) => c.impact !== 'update' && c.impact !== 'may-replace').map((c) => `${c.logicalId} ${c.impact}`)).toEqual([]);
};

/**
 * Listener rules never change once deployed: after a blue/green release ECS points them at the
 * live target group, and a CloudFormation update of a rule resets its actions to the
 * template's (aws-cdk issue 36649), sending production to the drained target group.
 */
export const RULES_UNTOUCHED = untouched('AWS::ElasticLoadBalancingV2::ListenerRule');

/** Asserts the only changes are in-place updates of resources of these types. */
export const onlyUpdated = (...types: string[]) => (report: ChangeReport) => {
  expect(report.changes.filter((c) => c.impact !== 'none' && !(c.impact === 'update' && types.includes(c.type))).map((c) => `${c.logicalId} ${c.type} ${c.impact}`)).toEqual([]);
};

const all = (...checks: Array<(r: ChangeReport, d: 'forward' | 'back') => void>) => (r: ChangeReport, d: 'forward' | 'back') => checks.forEach((c) => c(r, d));

const IMPORTED_CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const CROSS_STACK = '@aws-cdk/core:defaultCrossStackReferences';
const OAUTH_CLIENTS = { GITHUB_CLIENT_ID: 'Ov23liAbCdEf01234567', GOOGLE_CLIENT_ID: '123456789012-abc123def456.apps.googleusercontent.com' };

export const SCENARIOS: readonly ReplayScenario[] = [
  {
    name: 'certificate created -> imported (CERTIFICATE_ARN) and back',
    from: {},
    to: { settings: { CERTIFICATE_ARN: IMPORTED_CERTIFICATE } },
    check: all(updatedInPlace('AWS::ElasticLoadBalancingV2::Listener'), RULES_UNTOUCHED),
  },
  {
    name: 'PostgreSQL major upgrade (DB_ENGINE_VERSION 16 -> 17)',
    from: { settings: { DB_ENGINE_VERSION: '16' } },
    to: { settings: { DB_ENGINE_VERSION: '17' } },
    oneWay: true,
    // migrate up runs again after the upgrade and analyzes what it left without statistics.
    check: all(updatedInPlace('AWS::RDS::DBInstance'), updatedInPlace('Custom::SlipwayMigrateBeforeRoll')),
  },
  {
    name: 'database instance class (DB_INSTANCE_CLASS)',
    from: {},
    to: { settings: { DB_INSTANCE_CLASS: 'db.r7g.large' } },
    check: all(updatedInPlace('AWS::RDS::DBInstance'), untouched('AWS::ElasticLoadBalancingV2::ListenerRule')),
  },
  {
    name: 'Redis node type (REDIS_NODE_TYPE)',
    from: {},
    to: { settings: { REDIS_NODE_TYPE: 'cache.r7g.large' } },
    check: all(updatedInPlace('AWS::ElastiCache::ReplicationGroup'), RULES_UNTOUCHED),
  },
  {
    name: 'storage growth (DB_ALLOCATED_STORAGE_GIB, DB_MAX_ALLOCATED_STORAGE_GIB)',
    from: {},
    to: { settings: { DB_ALLOCATED_STORAGE_GIB: '100', DB_MAX_ALLOCATED_STORAGE_GIB: '400' } },
    oneWay: true,
    check: updatedInPlace('AWS::RDS::DBInstance'),
  },
  {
    name: 'a third Availability Zone (MAX_AZS 2 -> 3)',
    from: {},
    to: { settings: { MAX_AZS: '3' } },
    oneWay: true,
    check: updatedInPlace('AWS::RDS::DBSubnetGroup'),
  },
  {
    name: 'fewer Availability Zones (MAX_AZS 3 -> 2) is refused: the data stack still uses the subnets it removes',
    from: { settings: { MAX_AZS: '3' } },
    to: {},
    oneWay: true,
    refusedWith: /output PublishOutputRefNetworkVpcisolatedSubnet3\S* would be removed while slipway-data reads it/,
  },
  {
    name: 'a new database port after the first deploy (DB_INSTANCE_PORT) is refused: CloudFormation replaces the instance',
    from: {},
    to: { settings: { DB_INSTANCE_PORT: '6543' } },
    oneWay: true,
    refusedWith: /AWS::RDS::DBInstance DatabaseInstance\S* would be REPLACED \(Port\)/,
  },
  {
    name: 'NAT gateways (NAT_GATEWAYS 2 -> 1 and back)',
    from: {},
    to: { settings: { NAT_GATEWAYS: '1' } },
    check: all(untouched('AWS::EC2::Subnet'), RULES_UNTOUCHED),
  },
  {
    name: 'profile trial -> production and back',
    from: { settings: { DEPLOY_PROFILE: 'trial' } },
    to: { settings: { DEPLOY_PROFILE: 'production' } },
    check: all(updatedInPlace('AWS::RDS::DBInstance'), updatedInPlace('AWS::ElastiCache::ReplicationGroup'), RULES_UNTOUCHED),
  },
  {
    name: 'Multi-AZ and backup retention on their own (DB_MULTI_AZ, DB_BACKUP_RETENTION_DAYS)',
    from: {},
    to: { settings: { DB_MULTI_AZ: 'false', DB_BACKUP_RETENTION_DAYS: '7' } },
  },
  {
    name: 'domain rename (DOMAIN_NAME, with SES_DOMAIN following it)',
    from: {},
    to: { settings: { DOMAIN_NAME: 'issues.example.com' } },
    check: RULES_UNTOUCHED,
  },
  {
    name: 'SES domain rename on its own (SES_DOMAIN)',
    from: {},
    to: { settings: { SES_DOMAIN: 'mail.example.com', SENDER_EMAIL: 'no-reply@mail.example.com' } },
    check: RULES_UNTOUCHED,
  },
  {
    name: 'WAF off and on again (WAF_ENABLED); its log group stays either way',
    from: {},
    to: { settings: { WAF_ENABLED: 'false' } },
    check: all(untouched('AWS::Logs::LogGroup'), untouched('AWS::ElasticLoadBalancingV2::ListenerRule')),
  },
  {
    name: 'WAF count mode and back (WAF_MODE)',
    from: {},
    to: { settings: { WAF_MODE: 'count' } },
    check: updatedInPlace('AWS::WAFv2::WebACL'),
  },
  {
    name: 'a login of its own for the api (DB_APP_LOGIN false -> true): a second secret and its rotation, nothing stateful replaced',
    from: { settings: { DB_APP_LOGIN: 'false' } },
    to: {},
    oneWay: true,
    check: all(untouched('AWS::RDS::DBInstance'), (report) => {
      const stateful = report.changes.filter((c) => isStatefulType(c.type));
      expect(stateful.map((c) => `${c.logicalId} ${c.impact}`)).toEqual(['DatabaseAppSecret2E50FD00 create']);
    }),
  },
  {
    name: 'the api login off again (DB_APP_LOGIN true -> false) is refused: its secret would be orphaned',
    from: {},
    to: { settings: { DB_APP_LOGIN: 'false' } },
    oneWay: true,
    refusedWith: /AWS::SecretsManager::Secret DatabaseAppSecret2E50FD00 would leave the stack \(orphaned\)/,
  },
  {
    name: 'log retention (LOG_RETENTION_DAYS 90 -> 30 and back)',
    from: {},
    to: { settings: { LOG_RETENTION_DAYS: '30' } },
    check: all(updatedInPlace('AWS::Logs::LogGroup'), RULES_UNTOUCHED),
  },
  {
    name: 'switching DEPLOY_STRATEGY blue-green -> rolling and back changes only the two services',
    from: {},
    to: { settings: { DEPLOY_STRATEGY: 'rolling' } },
    check: all(onlyUpdated('AWS::ECS::Service'), RULES_UNTOUCHED),
  },
  {
    name: 'a trial rehearsing blue/green (DEPLOY_STRATEGY rolling -> blue-green on the trial profile) and back',
    from: { settings: { DEPLOY_PROFILE: 'trial' } },
    to: { settings: { DEPLOY_PROFILE: 'trial', DEPLOY_STRATEGY: 'blue-green' } },
    check: all(onlyUpdated('AWS::ECS::Service'), RULES_UNTOUCHED),
  },
  {
    name: 'bake time and gate budget (BAKE_TIME_MINUTES, GREEN_TEST_BUDGET_SECONDS)',
    from: {},
    to: { settings: { BAKE_TIME_MINUTES: '30', GREEN_TEST_BUDGET_SECONDS: '900' } },
    check: all(onlyUpdated('AWS::ECS::Service', 'AWS::Lambda::Function'), RULES_UNTOUCHED),
  },
  {
    name: 'task sizes and counts (API_CPU, API_MEMORY_MIB, WEB_MAX_TASKS)',
    from: {},
    to: { settings: { API_CPU: '1024', API_MEMORY_MIB: '2048', WEB_MAX_TASKS: '8' } },
    check: all(RULES_UNTOUCHED, untouched('AWS::ElasticLoadBalancingV2::TargetGroup')),
  },
  {
    name: 'OAuth sign-in on (GITHUB_CLIENT_ID, GOOGLE_CLIENT_ID): adds the client secrets, touches nothing else stateful',
    from: {},
    to: { settings: OAUTH_CLIENTS },
    oneWay: true,
    check: all(untouched('AWS::RDS::DBInstance'), untouched('AWS::ElastiCache::ReplicationGroup')),
  },
  {
    // Off is the app's business: put the placeholder back into the secret (infra/README.md).
    name: 'removing an OAuth client id is refused: the service reads its secret, which would be orphaned',
    from: { settings: OAUTH_CLIENTS },
    to: {},
    oneWay: true,
    refusedWith: /output \S*GitHubClientSecret\S* would be removed while slipway-service reads it/,
  },
  {
    name: 'upgrade from strong references, step 1: both mechanisms',
    from: { context: { [CROSS_STACK]: 'strong' } },
    to: { context: { [CROSS_STACK]: 'both' } },
    oneWay: true,
  },
  {
    name: 'upgrade from strong references, step 2: weak only',
    from: { context: { [CROSS_STACK]: 'both' } },
    to: {},
    oneWay: true,
  },
  {
    name: 'upgrade from strong references in one step is refused: exports in use would go',
    from: { context: { [CROSS_STACK]: 'strong' } },
    to: {},
    oneWay: true,
    refusedWith: /export slipway-network:\S+ would be removed while another stack imports it/,
  },
];
