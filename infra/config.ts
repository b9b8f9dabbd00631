/**
 * Deployment settings: one zod schema, parsed once at the edge.
 *
 * Sources, later wins: the `.env` file, the process environment, CDK context
 * (`cdk.json` "context" or `cdk synth -c KEY=value`). A profile (`production` or `trial`)
 * fills every setting that none of them sets. The result is a typed, frozen object; the
 * CDK app and the operator scripts both read it through `loadConfig()`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { SHUTDOWN_SECONDS } from '../app/src/config/shutdown.ts';
import { IMAGE_TAG_PATTERN } from './outputs.ts';

export const PROFILES = ['production', 'trial'] as const;
export type Profile = (typeof PROFILES)[number];
/** How a release reaches production (DEPLOY_STRATEGY). */
export const DEPLOY_STRATEGIES = ['blue-green', 'rolling'] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS_ALLOWED = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
  3288, 3653,
] as const;

/** Fargate task sizes: CPU units -> allowed memory (MiB). */
export const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

// ---------------------------------------------------------------------------
// Field types. Every message says what is expected and how to fix it; the setting name and
// its value are prefixed by formatIssue().
// ---------------------------------------------------------------------------

const text = (re: RegExp, expected: string) =>
  z.string({ error: `is required. Fix: set it in .env, the environment or cdk.json context (${expected})` }).regex(re, { error: expected });

const int = (min: number, max: number, fix = `use a whole number from ${min} to ${max}`) =>
  z
    .string({ error: `is required. Fix: ${fix}` })
    .regex(/^\d+$/, { error: `is not a whole number. Fix: ${fix}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `is below ${min}. Fix: ${fix}` })
        .max(max, { error: `is above ${max}. Fix: ${fix}` }),
    );

const bool = () =>
  z
    .enum(['true', 'false'], { error: 'is not a boolean. Fix: use true or false' })
    .transform((v) => v === 'true');

const optional = <T extends z.ZodType>(schema: T) => schema.optional();

const EMAIL_RE = /^[^\s@]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const HOLD = SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_HOLD_SECONDS;
const DRAIN = SHUTDOWN_SECONDS.SLIPWAY_SHUTDOWN_DRAIN_SECONDS;
/** Seconds between the app's exit deadline (hold + drain) and ECS's SIGKILL: node's own exit. */
export const STOP_TIMEOUT_MARGIN_SECONDS = 5;
/** Fargate's largest container stop timeout. */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;
/**
 * Seconds the app's HTTP servers (api and web) keep an idle keep-alive connection open:
 * fastify's default keepAliveTimeout, which both use (app/src/api/liveness-server.ts,
 * app/src/web/server.ts; infra/test/config.test.ts reads it from the servers).
 */
export const APP_KEEP_ALIVE_TIMEOUT_SECONDS = 72;

/** The raw settings, by the names used in `.env`, the environment and CDK context. */
export const settingsSchema = z.object({
  DEPLOY_PROFILE: z.enum(PROFILES, { error: 'is not a profile. Fix: use production or trial' }),
  AWS_ACCOUNT_ID: text(/^\d{12}$/, 'an AWS account id is 12 digits. Fix: set the target account id, e.g. 123456789012'),
  AWS_REGION: text(
    /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/,
    'is not an AWS region. Fix: use a region code such as eu-west-1',
  ),
  // RDS, ElastiCache and ECR names allow no two hyphens in a row; S3 reserves the prefixes
  // sthree- and amzn-s3-demo-, SSM parameter names may not start with aws or ssm
  // (infra/test/names.test.ts checks every derived name against each service's rules).
  APP_NAME: text(
    /^(?!aws|ssm|sthree|amzn)[a-z](?:[a-z0-9]|-(?!-)){1,18}[a-z0-9]$/,
    'must be 3-20 characters of a-z, 0-9 and single hyphens, start with a letter, end with a letter or digit, and not start with aws, ssm, sthree or amzn (it prefixes every resource name). Fix: e.g. slipway',
  ),
  DOMAIN_NAME: text(DOMAIN_RE, 'is not a lower-case DNS name. Fix: e.g. tracker.example.com'),
  HOSTED_ZONE_ID: text(/^Z[A-Z0-9]{1,32}$/, 'is not a Route 53 hosted zone id. Fix: copy the id (Z...) of the public zone'),
  HOSTED_ZONE_NAME: text(DOMAIN_RE, 'is not a lower-case DNS name. Fix: use the zone name, e.g. example.com'),
  CERTIFICATE_ARN: optional(
    text(
      /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
      'is not an ACM certificate ARN. Fix: use arn:aws:acm:REGION:ACCOUNT:certificate/UUID, or unset it to create a DNS-validated certificate',
    ),
  ),
  SES_DOMAIN: text(DOMAIN_RE, 'is not a lower-case DNS name. Fix: e.g. tracker.example.com'),
  SENDER_EMAIL: text(EMAIL_RE, 'is not an email address. Fix: e.g. no-reply@tracker.example.com'),
  MAIL_FROM_SUBDOMAIN: text(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'is not a single DNS label. Fix: e.g. mail'),
  ALARM_EMAIL: optional(text(EMAIL_RE, 'is not an email address. Fix: e.g. ops@example.com (required for production, see DEPLOY_CHECKS)')),
  MAX_AZS: int(1, 3, 'use 2 or 3'),
  NAT_GATEWAYS: int(1, 3, 'use 1 (cheaper) up to MAX_AZS (one per AZ)'),
  DB_INSTANCE_CLASS: text(
    /^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    'is not an RDS instance class (db.<family>.<size>). Fix: e.g. db.t4g.medium or db.r7g.large',
  ),
  DB_MULTI_AZ: bool(),
  DB_ALLOCATED_STORAGE_GIB: int(20, 65536, 'use 20 to 65536 GiB (gp3)'),
  DB_MAX_ALLOCATED_STORAGE_GIB: int(22, 65536, 'use at least 10 % above DB_ALLOCATED_STORAGE_GIB, at most 65536'),
  DB_BACKUP_RETENTION_DAYS: int(1, 35, 'use 7 to 35 days'),
  DB_ENGINE_VERSION: z.enum(['16', '17'], { error: 'is not a supported PostgreSQL major version. Fix: use 16 or 17' }),
  DB_INSTANCE_PORT: int(1150, 65535, 'use a port from 1150 to 65535, e.g. 5432'),
  DB_DELETION_PROTECTION: bool(),
  DB_APP_LOGIN: bool(),
  REDIS_NODE_TYPE: text(
    /^cache\.[a-z][a-z0-9-]*\.[a-z0-9]+$/,
    'is not an ElastiCache node type (cache.<family>.<size>). Fix: e.g. cache.t4g.small',
  ),
  REDIS_REPLICATION_ENABLED: bool(),
  CPU_ARCHITECTURE: z.enum(['ARM64', 'X86_64'], { error: 'is not a CPU architecture. Fix: use ARM64 or X86_64' }),
  API_CPU: int(256, 4096, 'use 256, 512, 1024, 2048 or 4096'),
  API_MEMORY_MIB: int(512, 30720, 'use a Fargate memory size for API_CPU'),
  API_MIN_TASKS: int(1, 100),
  API_MAX_TASKS: int(1, 100),
  WEB_CPU: int(256, 4096, 'use 256, 512, 1024, 2048 or 4096'),
  WEB_MEMORY_MIB: int(512, 30720, 'use a Fargate memory size for WEB_CPU'),
  WEB_MIN_TASKS: int(1, 100),
  WEB_MAX_TASKS: int(1, 100),
  MIGRATE_CPU: int(256, 4096, 'use 256, 512, 1024, 2048 or 4096'),
  MIGRATE_MEMORY_MIB: int(512, 30720, 'use a Fargate memory size for MIGRATE_CPU'),
  LOG_RETENTION_DAYS: int(1, 3653, `use one of ${LOG_RETENTION_DAYS_ALLOWED.join(', ')}`),
  IMAGE_TAG: optional(
    text(new RegExp(IMAGE_TAG_PATTERN), 'is not a container image tag. Fix: e.g. the git commit, 3f2a9c1'),
  ),
  ECR_KEEP_RELEASES: int(5, 1000, 'keep at least 5 images so rollbacks have somewhere to go'),
  // Same ranges as the app's SLIPWAY_SHUTDOWN_* settings (one definition, app/src/config/shutdown.ts).
  SHUTDOWN_HOLD_SECONDS: int(HOLD.min, HOLD.max),
  SHUTDOWN_DRAIN_SECONDS: int(DRAIN.min, DRAIN.max),
  DEREGISTRATION_DELAY_SECONDS: int(0, 3600, 'use the longest a request or event stream may keep running on a task that is being replaced, e.g. 30'),
  ALB_IDLE_TIMEOUT_SECONDS: int(30, 4000, `use 30 to ${APP_KEEP_ALIVE_TIMEOUT_SECONDS - 1} (above the 15 s server-sent events heartbeat, below the app's ${APP_KEEP_ALIVE_TIMEOUT_SECONDS} s keep-alive), e.g. 60`),
  ATTACHMENTS_NONCURRENT_DAYS: int(1, 3650),
  WAF_ENABLED: bool(),
  WAF_MODE: z.enum(['block', 'count'], { error: 'is not a WAF mode. Fix: use block, or count to only count what the rules would block' }),
  // AWS WAF rate-based rules accept 10 to 2,000,000,000 requests per 5 minutes.
  WAF_RATE_LIMIT_PER_5_MINUTES: int(10, 2_000_000_000, 'use 10 to 2000000000 requests per IP address per 5 minutes, e.g. 2000'),
  MIGRATE_TIMEOUT_MINUTES: int(2, 55, 'use 2 to 55 minutes'),
  DEPLOY_STRATEGY: z.enum(DEPLOY_STRATEGIES, { error: 'is not a deployment strategy. Fix: use blue-green (smoke-checked green tasks before any production traffic) or rolling' }),
  BAKE_TIME_MINUTES: int(0, 1440, 'use 0 to 1440 minutes (the old tasks stay ready for an instant rollback that long)'),
  GREEN_TEST_BUDGET_SECONDS: int(60, 3600, 'use 60 to 3600 seconds for the smoke checks against the green tasks'),
  // The complete ARN, with the hyphen and six characters Secrets Manager appends to the name:
  // the gate's IAM grant names this exact ARN, and a partial one matches no secret
  // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html).
  SMOKE_TOKEN_SECRET_ARN: optional(
    text(
      /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
      'is not the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf, ending in the hyphen and six characters Secrets Manager adds to the name; without them the gate may not read the secret). Fix: copy the ARN from the secret\'s details page in the Secrets Manager console, or from aws secretsmanager describe-secret --secret-id NAME --query ARN --output text; or unset it',
    ),
  ),
  // OAuth sign-in: the client id is configuration; the kit keeps the client secret in Secrets
  // Manager (created only for a provider that has a client id).
  GITHUB_CLIENT_ID: optional(
    text(/^[A-Za-z0-9._-]{8,100}$/, 'is not a GitHub OAuth client id. Fix: copy the Client ID of the OAuth app (e.g. Ov23liAbCdEf01234567), or unset it'),
  ),
  GOOGLE_CLIENT_ID: optional(
    text(
      /^[0-9]+-[a-z0-9]+\.apps\.googleusercontent\.com$/,
      'is not a Google OAuth client id. Fix: copy the Client ID of the web client (NUMBER-xxxx.apps.googleusercontent.com), or unset it',
    ),
  ),
  COST_BUDGET_USD: optional(
    z
      .string()
      .regex(/^\d+(\.\d{1,2})?$/, { error: 'is not an amount of US dollars. Fix: a monthly budget such as 250 or 99.50, or unset it' })
      .transform(Number)
      .pipe(z.number().positive({ error: 'must be above 0. Fix: a monthly budget such as 250, or unset it' })),
  ),
});

export type SettingName = keyof typeof settingsSchema.shape;
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as SettingName[];
type Raw = Partial<Record<SettingName, string>>;

/** Defaults per profile. Settings derived from others are filled by deriveDefaults(). */
export const PROFILE_DEFAULTS: Readonly<Record<Profile, Raw>> = {
  production: {
    APP_NAME: 'slipway',
    MAX_AZS: '2',
    DB_INSTANCE_CLASS: 'db.t4g.medium',
    DB_MULTI_AZ: 'true',
    DB_ALLOCATED_STORAGE_GIB: '50',
    DB_MAX_ALLOCATED_STORAGE_GIB: '200',
    DB_BACKUP_RETENTION_DAYS: '14',
    DB_ENGINE_VERSION: '17',
    DB_INSTANCE_PORT: '5432',
    DB_DELETION_PROTECTION: 'true',
    DB_APP_LOGIN: 'true',
    REDIS_NODE_TYPE: 'cache.t4g.small',
    REDIS_REPLICATION_ENABLED: 'true',
    MAIL_FROM_SUBDOMAIN: 'mail',
    CPU_ARCHITECTURE: 'ARM64',
    API_CPU: '512',
    API_MEMORY_MIB: '1024',
    API_MIN_TASKS: '2',
    API_MAX_TASKS: '6',
    WEB_CPU: '256',
    WEB_MEMORY_MIB: '512',
    WEB_MIN_TASKS: '2',
    WEB_MAX_TASKS: '4',
    MIGRATE_CPU: '256',
    MIGRATE_MEMORY_MIB: '512',
    LOG_RETENTION_DAYS: '90',
    ECR_KEEP_RELEASES: '30',
    SHUTDOWN_HOLD_SECONDS: String(HOLD.default),
    SHUTDOWN_DRAIN_SECONDS: String(DRAIN.default),
    DEREGISTRATION_DELAY_SECONDS: '30',
    ALB_IDLE_TIMEOUT_SECONDS: '60',
    ATTACHMENTS_NONCURRENT_DAYS: '30',
    WAF_ENABLED: 'true',
    WAF_MODE: 'block',
    WAF_RATE_LIMIT_PER_5_MINUTES: '2000',
    MIGRATE_TIMEOUT_MINUTES: '15',
    DEPLOY_STRATEGY: 'blue-green',
    BAKE_TIME_MINUTES: '10',
    GREEN_TEST_BUDGET_SECONDS: '300',
  },
  trial: {
    APP_NAME: 'slipway',
    MAX_AZS: '2',
    NAT_GATEWAYS: '1',
    DB_INSTANCE_CLASS: 'db.t4g.small',
    DB_MULTI_AZ: 'false',
    DB_ALLOCATED_STORAGE_GIB: '20',
    DB_MAX_ALLOCATED_STORAGE_GIB: '50',
    DB_BACKUP_RETENTION_DAYS: '7',
    DB_ENGINE_VERSION: '17',
    DB_INSTANCE_PORT: '5432',
    DB_DELETION_PROTECTION: 'true',
    DB_APP_LOGIN: 'true',
    REDIS_NODE_TYPE: 'cache.t4g.micro',
    REDIS_REPLICATION_ENABLED: 'false',
    MAIL_FROM_SUBDOMAIN: 'mail',
    CPU_ARCHITECTURE: 'ARM64',
    API_CPU: '256',
    API_MEMORY_MIB: '512',
    API_MIN_TASKS: '1',
    API_MAX_TASKS: '2',
    WEB_CPU: '256',
    WEB_MEMORY_MIB: '512',
    WEB_MIN_TASKS: '1',
    WEB_MAX_TASKS: '2',
    MIGRATE_CPU: '256',
    MIGRATE_MEMORY_MIB: '512',
    LOG_RETENTION_DAYS: '14',
    ECR_KEEP_RELEASES: '10',
    SHUTDOWN_HOLD_SECONDS: String(HOLD.default),
    SHUTDOWN_DRAIN_SECONDS: String(DRAIN.default),
    DEREGISTRATION_DELAY_SECONDS: '30',
    ALB_IDLE_TIMEOUT_SECONDS: '60',
    ATTACHMENTS_NONCURRENT_DAYS: '14',
    WAF_ENABLED: 'false',
    WAF_MODE: 'block',
    WAF_RATE_LIMIT_PER_5_MINUTES: '2000',
    MIGRATE_TIMEOUT_MINUTES: '15',
    // A trial iterates on its settings: rolling finishes minutes sooner. The blue/green
    // resources exist either way, so DEPLOY_STRATEGY=blue-green rehearses it in place.
    DEPLOY_STRATEGY: 'rolling',
    BAKE_TIME_MINUTES: '5',
    GREEN_TEST_BUDGET_SECONDS: '300',
  },
};

/** Defaults that depend on other settings (NAT per AZ in production, SES on the app domain). */
function deriveDefaults(raw: Raw): Raw {
  const out: Raw = { ...raw };
  out.NAT_GATEWAYS ??= out.MAX_AZS;
  out.SES_DOMAIN ??= out.DOMAIN_NAME;
  if (out.SES_DOMAIN) out.SENDER_EMAIL ??= `no-reply@${out.SES_DOMAIN}`;
  return out;
}

// ---------------------------------------------------------------------------
// Cross-setting rules: small pure functions, each returns the issues it finds.
// ---------------------------------------------------------------------------

type Settings = z.output<typeof settingsSchema>;
export interface SettingIssue {
  readonly setting: SettingName;
  readonly message: string;
}

/** The smallest storage autoscaling ceiling RDS accepts: 10 % above the allocated storage, in whole GiB. */
export const minStorageCeilingGiB = (allocatedGiB: number) => Math.ceil((allocatedGiB * 11) / 10);

const inZone = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);

export const CROSS_CHECKS: ReadonlyArray<(s: Settings) => SettingIssue[]> = [
  (s) =>
    s.MAX_AZS < 2
      ? [{ setting: 'MAX_AZS', message: 'the load balancer and the database subnet group need two Availability Zones. Fix: set MAX_AZS to 2 or 3' }]
      : [],
  (s) =>
    s.NAT_GATEWAYS > s.MAX_AZS
      ? [{ setting: 'NAT_GATEWAYS', message: `is more than MAX_AZS=${s.MAX_AZS}. Fix: use at most one NAT gateway per AZ (1 to ${s.MAX_AZS})` }]
      : [],
  (s) =>
    s.REDIS_REPLICATION_ENABLED && s.MAX_AZS < 2
      ? [{ setting: 'REDIS_REPLICATION_ENABLED', message: `needs a replica in a second AZ but MAX_AZS=${s.MAX_AZS}. Fix: set MAX_AZS to 2 or 3, or REDIS_REPLICATION_ENABLED=false` }]
      : [],
  (s) =>
    s.DEPLOY_PROFILE === 'production' && s.DB_MULTI_AZ && s.DB_BACKUP_RETENTION_DAYS < 7
      ? [{ setting: 'DB_BACKUP_RETENTION_DAYS', message: 'is under 7 days for a Multi-AZ production database. Fix: use 7 to 35 days' }]
      : [],
  // RDS refuses a storage autoscaling ceiling less than 10 % above the allocated storage
  // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html).
  (s) => {
    const least = minStorageCeilingGiB(s.DB_ALLOCATED_STORAGE_GIB);
    return s.DB_MAX_ALLOCATED_STORAGE_GIB < least
      ? [{ setting: 'DB_MAX_ALLOCATED_STORAGE_GIB', message: `is less than 10 % above DB_ALLOCATED_STORAGE_GIB=${s.DB_ALLOCATED_STORAGE_GIB}, which RDS refuses for the storage autoscaling ceiling. Fix: set it to at least ${least} (26 % above, ${Math.ceil((s.DB_ALLOCATED_STORAGE_GIB * 126) / 100)}, also avoids RDS's near-the-ceiling events), or lower DB_ALLOCATED_STORAGE_GIB to at most ${Math.floor((s.DB_MAX_ALLOCATED_STORAGE_GIB * 10) / 11)}` }]
      : [];
  },
  (s) =>
    inZone(s.DOMAIN_NAME, s.HOSTED_ZONE_NAME)
      ? []
      : [{ setting: 'DOMAIN_NAME', message: `is outside the hosted zone HOSTED_ZONE_NAME=${s.HOSTED_ZONE_NAME}. Fix: use a name ending in .${s.HOSTED_ZONE_NAME}, or the zone that holds the domain` }],
  (s) =>
    inZone(s.SES_DOMAIN, s.HOSTED_ZONE_NAME)
      ? []
      : [{ setting: 'SES_DOMAIN', message: `is outside the hosted zone HOSTED_ZONE_NAME=${s.HOSTED_ZONE_NAME}, so its DKIM records cannot be created. Fix: use a name ending in .${s.HOSTED_ZONE_NAME}` }],
  (s) =>
    s.SENDER_EMAIL.toLowerCase().endsWith(`@${s.SES_DOMAIN}`)
      ? []
      : [{ setting: 'SENDER_EMAIL', message: `is not an address of SES_DOMAIN=${s.SES_DOMAIN}, so the app may not send from it. Fix: e.g. no-reply@${s.SES_DOMAIN}` }],
  (s) => {
    const region = s.CERTIFICATE_ARN?.split(':')[3];
    return region && region !== s.AWS_REGION
      ? [{ setting: 'CERTIFICATE_ARN', message: `is in ${region} but the load balancer is in AWS_REGION=${s.AWS_REGION}. Fix: import a certificate issued in ${s.AWS_REGION}, or unset CERTIFICATE_ARN` }]
      : [];
  },
  (s) =>
    (['API', 'WEB', 'MIGRATE'] as const).flatMap((svc) => {
      const cpu = s[`${svc}_CPU`];
      const memory = s[`${svc}_MEMORY_MIB`];
      const allowed = FARGATE_MEMORY_BY_CPU[cpu];
      if (!allowed) {
        return [{ setting: `${svc}_CPU` as SettingName, message: 'is not a Fargate CPU size. Fix: use 256, 512, 1024, 2048 or 4096' }];
      }
      return allowed.includes(memory)
        ? []
        : [{ setting: `${svc}_MEMORY_MIB` as SettingName, message: `does not fit ${svc}_CPU=${cpu}. Fix: use one of ${allowed.join(', ')}` }];
    }),
  (s) =>
    (['API', 'WEB'] as const).flatMap((svc) =>
      s[`${svc}_MIN_TASKS`] > s[`${svc}_MAX_TASKS`]
        ? [{ setting: `${svc}_MIN_TASKS` as SettingName, message: `is above ${svc}_MAX_TASKS=${s[`${svc}_MAX_TASKS`]}. Fix: raise ${svc}_MAX_TASKS or lower ${svc}_MIN_TASKS` }]
        : [],
    ),
  (s) =>
    (LOG_RETENTION_DAYS_ALLOWED as readonly number[]).includes(s.LOG_RETENTION_DAYS)
      ? []
      : [{ setting: 'LOG_RETENTION_DAYS', message: `is not a CloudWatch Logs retention period. Fix: use one of ${LOG_RETENTION_DAYS_ALLOWED.join(', ')}` }],
  // The app must close idle connections after the load balancer does: otherwise the load
  // balancer may send a request on a connection the app is closing, and answers 502.
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout
  (s) =>
    s.ALB_IDLE_TIMEOUT_SECONDS >= APP_KEEP_ALIVE_TIMEOUT_SECONDS
      ? [{ setting: 'ALB_IDLE_TIMEOUT_SECONDS', message: `is not below the app's ${APP_KEEP_ALIVE_TIMEOUT_SECONDS} s keep-alive timeout, so the load balancer may reuse a connection the app is closing and answer 502. Fix: use at most ${APP_KEEP_ALIVE_TIMEOUT_SECONDS - 1}, e.g. 60 (the AWS default)` }]
      : [],
  (s) =>
    s.SHUTDOWN_HOLD_SECONDS + s.SHUTDOWN_DRAIN_SECONDS + STOP_TIMEOUT_MARGIN_SECONDS > FARGATE_MAX_STOP_TIMEOUT_SECONDS
      ? [{ setting: 'SHUTDOWN_HOLD_SECONDS', message: `plus SHUTDOWN_DRAIN_SECONDS=${s.SHUTDOWN_DRAIN_SECONDS} leaves no room under the ${FARGATE_MAX_STOP_TIMEOUT_SECONDS} s Fargate stop timeout. Fix: keep hold + drain at most ${FARGATE_MAX_STOP_TIMEOUT_SECONDS - STOP_TIMEOUT_MARGIN_SECONDS} s` }]
      : [],
  (s) => {
    const [, , , region, account] = s.SMOKE_TOKEN_SECRET_ARN?.split(':') ?? [];
    return region && (region !== s.AWS_REGION || account !== s.AWS_ACCOUNT_ID)
      ? [{ setting: 'SMOKE_TOKEN_SECRET_ARN', message: `is in ${account}/${region}, but the hook that reads it runs in ${s.AWS_ACCOUNT_ID}/${s.AWS_REGION}. Fix: create the secret in ${s.AWS_REGION} of account ${s.AWS_ACCOUNT_ID}, or unset it` }]
      : [];
  },
];

// ---------------------------------------------------------------------------
// The typed config.
// ---------------------------------------------------------------------------

export interface ServiceSize {
  readonly cpu: number;
  readonly memoryMiB: number;
}
export interface ScaledServiceSize extends ServiceSize {
  readonly minTasks: number;
  readonly maxTasks: number;
}

export interface SlipwayConfig {
  readonly profile: Profile;
  readonly account: string;
  readonly region: string;
  readonly appName: string;
  readonly domain: {
    readonly domainName: string;
    readonly hostedZoneId: string;
    readonly hostedZoneName: string;
    /** Imported certificate; undefined: a DNS-validated certificate is created. */
    readonly certificateArn?: string;
  };
  readonly email: {
    readonly sesDomain: string;
    readonly senderEmail: string;
    readonly mailFromDomain: string;
  };
  readonly alarmEmail?: string;
  readonly network: { readonly maxAzs: number; readonly natGateways: number };
  readonly database: {
    readonly instanceClass: string;
    readonly multiAz: boolean;
    readonly allocatedStorageGiB: number;
    readonly maxAllocatedStorageGiB: number;
    readonly backupRetentionDays: number;
    readonly engineVersion: '16' | '17';
    readonly port: number;
    readonly deletionProtection: boolean;
    /** The api signs in with a login of its own (data access only), not the master user. */
    readonly appLogin: boolean;
  };
  readonly redis: { readonly nodeType: string; readonly replicationEnabled: boolean };
  readonly services: {
    readonly cpuArchitecture: 'ARM64' | 'X86_64';
    readonly api: ScaledServiceSize;
    readonly web: ScaledServiceSize;
    readonly migrate: ServiceSize;
    readonly migrateTimeoutMinutes: number;
  };
  readonly release: {
    /** Default of the ImageTag parameter for a first deploy; later deploys keep the running tag. */
    readonly imageTag?: string;
    readonly keepReleases: number;
  };
  readonly shutdown: {
    readonly holdSeconds: number;
    readonly drainSeconds: number;
    readonly deregistrationDelaySeconds: number;
    /** Seconds ECS waits after SIGTERM before SIGKILL: hold + drain + STOP_TIMEOUT_MARGIN_SECONDS. */
    readonly stopTimeoutSeconds: number;
  };
  readonly albIdleTimeoutSeconds: number;
  readonly deployment: {
    /** How ECS releases a new task definition: blue-green (green tasks smoke-checked first) or rolling. */
    readonly strategy: DeployStrategy;
    /** Minutes both revisions keep running after production moved to green (blue-green). */
    readonly bakeTimeMinutes: number;
    /** Seconds the green-tasks hook keeps retrying transient failures before it fails the release. */
    readonly testBudgetSeconds: number;
    /** Secret holding a personal access token for the hook's authenticated checks. */
    readonly smokeTokenSecretArn?: string;
  };
  /** The WAF web ACL on the load balancer. */
  readonly waf: { readonly enabled: boolean; readonly mode: 'block' | 'count'; readonly rateLimitPer5Minutes: number };
  readonly logRetentionDays: number;
  readonly attachments: { readonly noncurrentVersionDays: number };
  /** Monthly budget in USD for the cost estimate (synth warns, preflight and deploy refuse above it). */
  readonly costBudgetUsd?: number;
  /** OAuth sign-in clients: each given id gets a client-secret secret, injected into the api. */
  readonly oauth: { readonly githubClientId?: string; readonly googleClientId?: string };
  /** The app's public URL, https://DOMAIN_NAME. */
  readonly appUrl: string;
  /**
   * Settings still taken from the example layer (cdk.json "slipway:example-settings"): fine
   * for `cdk synth`, never for a deploy (preflight fails on them).
   */
  readonly exampleSettings: readonly SettingName[];
}

/** A bad setting: `issues` lists each as "SETTING=value ...: problem. Fix: ...". */
export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`Invalid Slipway settings:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Rules only a deploy needs: checked when the stacks are built (`addSlipwayStacks`, so by every
 * `cdk synth` and `cdk deploy`), not by parseSettings(), so the commands that work on a running
 * deployment (smoke, rollback, teardown) still load settings that break one.
 * The only alarm subscription the kit makes is ALARM_EMAIL's (constructs/alarm-topic.ts).
 */
export const DEPLOY_CHECKS: ReadonlyArray<(c: SlipwayConfig) => string[]> = [
  (c) =>
    c.profile === 'production' && !c.alarmEmail
      ? ['ALARM_EMAIL=(unset) is required with DEPLOY_PROFILE=production: without it every alarm notifies a topic nobody is subscribed to. Fix: set ALARM_EMAIL to the address that answers alarms (SNS mails it a confirmation link once), or use DEPLOY_PROFILE=trial']
      : [],
];

/** Throws ConfigError when the settings may not be deployed (DEPLOY_CHECKS). */
export function assertDeployable(config: SlipwayConfig): void {
  const issues = DEPLOY_CHECKS.flatMap((check) => check(config));
  if (issues.length > 0) throw new ConfigError(issues);
}

export interface LoadConfigOptions {
  /** Environment variables. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** CDK context (wins over env). @default the "context" object of ./cdk.json, if present */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Path of the dotenv file, or false to skip it. @default '.env' in the working directory */
  readonly envFile?: string | false;
  /**
   * Example settings, the lowest layer: they let `cdk synth` run on a fresh clone, and any
   * value from `.env`, the environment or context replaces them.
   * @default the "slipway:example-settings" object of ./cdk.json's context, if present
   */
  readonly example?: Readonly<Record<string, unknown>>;
}

/** The cdk.json context key that holds the example settings. */
export const EXAMPLE_SETTINGS_CONTEXT_KEY = 'slipway:example-settings';

/** Reads the "context" object of a cdk.json file (empty when the file is missing). */
export function readCdkJsonContext(path = 'cdk.json'): Record<string, unknown> {
  const file = resolve(path);
  if (!existsSync(file)) return {};
  const json = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return json.context ?? {};
}

function pickSettings(source: Readonly<Record<string, unknown>>): Raw {
  const out: Raw = {};
  for (const name of SETTING_NAMES) {
    const value = source[name];
    if (value === undefined || value === null) continue;
    const str = String(value).trim();
    if (str !== '') out[name] = str;
  }
  return out;
}

/** Merges the sources, applies the profile and validates. Throws ConfigError. */
export function loadConfig(options: LoadConfigOptions = {}): SlipwayConfig {
  const envFile = options.envFile ?? '.env';
  const fromFile =
    envFile !== false && existsSync(resolve(envFile)) ? parseDotenv(readFileSync(resolve(envFile))) : {};
  const cdkContext = options.context === undefined || options.example === undefined ? readCdkJsonContext() : {};
  const example = pickSettings((options.example ?? cdkContext[EXAMPLE_SETTINGS_CONTEXT_KEY] ?? {}) as Record<string, unknown>);
  const own: Raw = {
    ...pickSettings(fromFile),
    ...pickSettings(options.env ?? process.env),
    ...pickSettings(options.context ?? cdkContext),
  };
  const config = parseSettings({ ...example, ...own });
  const fromExample = (Object.keys(example) as SettingName[]).filter((name) => own[name] === undefined);
  return Object.freeze({ ...config, exampleSettings: fromExample });
}

/** Validates already-merged raw settings (strings by setting name). Throws ConfigError. */
export function parseSettings(input: Readonly<Record<string, unknown>>): SlipwayConfig {
  const given = pickSettings(input);
  const profile = (given.DEPLOY_PROFILE ?? 'production') as Profile;
  const raw = deriveDefaults({ ...(PROFILE_DEFAULTS[profile] ?? PROFILE_DEFAULTS.production), ...given, DEPLOY_PROFILE: given.DEPLOY_PROFILE ?? 'production' });
  if (raw.DOMAIN_NAME) raw.DOMAIN_NAME = raw.DOMAIN_NAME.replace(/\.$/, '');
  if (raw.HOSTED_ZONE_NAME) raw.HOSTED_ZONE_NAME = raw.HOSTED_ZONE_NAME.replace(/\.$/, '');

  const show = (name: string) => `${name}=${raw[name as SettingName] === undefined ? '(unset)' : JSON.stringify(raw[name as SettingName])}`;
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${show(String(i.path[0]))} ${i.message}`));
  }
  const issues = CROSS_CHECKS.flatMap((check) => check(parsed.data));
  if (issues.length > 0) throw new ConfigError(issues.map((i) => `${show(i.setting)} ${i.message}`));
  return toConfig(parsed.data);
}

function toConfig(s: Settings): SlipwayConfig {
  const hold = s.SHUTDOWN_HOLD_SECONDS;
  const drain = s.SHUTDOWN_DRAIN_SECONDS;
  const config: SlipwayConfig = {
    profile: s.DEPLOY_PROFILE,
    account: s.AWS_ACCOUNT_ID,
    region: s.AWS_REGION,
    appName: s.APP_NAME,
    domain: {
      domainName: s.DOMAIN_NAME,
      hostedZoneId: s.HOSTED_ZONE_ID,
      hostedZoneName: s.HOSTED_ZONE_NAME,
      certificateArn: s.CERTIFICATE_ARN,
    },
    email: {
      sesDomain: s.SES_DOMAIN,
      senderEmail: s.SENDER_EMAIL,
      mailFromDomain: `${s.MAIL_FROM_SUBDOMAIN}.${s.SES_DOMAIN}`,
    },
    alarmEmail: s.ALARM_EMAIL,
    network: { maxAzs: s.MAX_AZS, natGateways: s.NAT_GATEWAYS },
    database: {
      instanceClass: s.DB_INSTANCE_CLASS,
      multiAz: s.DB_MULTI_AZ,
      allocatedStorageGiB: s.DB_ALLOCATED_STORAGE_GIB,
      maxAllocatedStorageGiB: s.DB_MAX_ALLOCATED_STORAGE_GIB,
      backupRetentionDays: s.DB_BACKUP_RETENTION_DAYS,
      engineVersion: s.DB_ENGINE_VERSION,
      port: s.DB_INSTANCE_PORT,
      deletionProtection: s.DB_DELETION_PROTECTION,
      appLogin: s.DB_APP_LOGIN,
    },
    redis: { nodeType: s.REDIS_NODE_TYPE, replicationEnabled: s.REDIS_REPLICATION_ENABLED },
    services: {
      cpuArchitecture: s.CPU_ARCHITECTURE,
      api: { cpu: s.API_CPU, memoryMiB: s.API_MEMORY_MIB, minTasks: s.API_MIN_TASKS, maxTasks: s.API_MAX_TASKS },
      web: { cpu: s.WEB_CPU, memoryMiB: s.WEB_MEMORY_MIB, minTasks: s.WEB_MIN_TASKS, maxTasks: s.WEB_MAX_TASKS },
      migrate: { cpu: s.MIGRATE_CPU, memoryMiB: s.MIGRATE_MEMORY_MIB },
      migrateTimeoutMinutes: s.MIGRATE_TIMEOUT_MINUTES,
    },
    release: { imageTag: s.IMAGE_TAG, keepReleases: s.ECR_KEEP_RELEASES },
    shutdown: {
      holdSeconds: hold,
      drainSeconds: drain,
      deregistrationDelaySeconds: s.DEREGISTRATION_DELAY_SECONDS,
      stopTimeoutSeconds: hold + drain + STOP_TIMEOUT_MARGIN_SECONDS,
    },
    albIdleTimeoutSeconds: s.ALB_IDLE_TIMEOUT_SECONDS,
    deployment: {
      strategy: s.DEPLOY_STRATEGY,
      bakeTimeMinutes: s.BAKE_TIME_MINUTES,
      testBudgetSeconds: s.GREEN_TEST_BUDGET_SECONDS,
      smokeTokenSecretArn: s.SMOKE_TOKEN_SECRET_ARN,
    },
    waf: { enabled: s.WAF_ENABLED, mode: s.WAF_MODE, rateLimitPer5Minutes: s.WAF_RATE_LIMIT_PER_5_MINUTES },
    logRetentionDays: s.LOG_RETENTION_DAYS,
    attachments: { noncurrentVersionDays: s.ATTACHMENTS_NONCURRENT_DAYS },
    costBudgetUsd: s.COST_BUDGET_USD,
    oauth: { githubClientId: s.GITHUB_CLIENT_ID, googleClientId: s.GOOGLE_CLIENT_ID },
    appUrl: `https://${s.DOMAIN_NAME}`,
    exampleSettings: [],
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
