/**
 * Usage the templates cannot say: traffic, log volume, data sizes. Each has a stated default the
 * operator can override with `--assume KEY=VALUE,...` or a JSON file (`--assumptions FILE`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const ASSUMPTION_DOCS = {
  hoursPerMonth: [730, 'hours in a month (AWS pricing examples use 730)'],
  natGbPerMonth: [20, 'GB processed by all NAT gateways together (AWS API calls, mail, image pulls not via the S3 endpoint)'],
  albLcu: [1, 'average load balancer capacity units (LCUs) in use'],
  wafRequestsMillions: [2, 'million requests per month a web ACL inspects'],
  appLogGbPerTask: [1, 'GB of app logs per running api or web task per month'],
  flowLogGbPerMonth: [2, 'GB of VPC flow logs per month'],
  databaseLogGbPerGroup: [0.2, 'GB per month into each database log group (postgresql, upgrade)'],
  otherLogGbPerGroup: [0.05, 'GB per month into every other log group (handlers, ECS Exec, one-off tasks)'],
  containerInsightsMetrics: [30, 'custom metrics Container Insights publishes per cluster (read yours from the bill)'],
  secretApiCallsPerMonth: [50000, 'Secrets Manager API calls per month (task starts, password reads every 5 minutes)'],
  dbDataGb: [5, 'GB of data in the database'],
  dbDailyChangeGb: [0.5, 'GB the database changes per day (drives backup storage)'],
  imageGb: [0.2, 'GB per container image kept in the repository (layers shared between images are counted once each)'],
  imagesKeptDefault: [30, 'images kept when the repository has no count-based lifecycle rule'],
  s3StoredGb: [10, 'GB stored across all buckets (attachments, access logs)'],
  emailsPerMonth: [1000, 'mails sent per month (sign-in links)'],
  oneOffTaskRunsPerMonth: [20, 'runs per month of each one-off task definition (migrations run once per deploy)'],
  oneOffTaskMinutes: [3, 'minutes each one-off task runs'],
  interfaceEndpointGbPerMonth: [10, 'GB per month through each interface VPC endpoint'],
} as const satisfies Record<string, readonly [number, string]>;

export type AssumptionName = keyof typeof ASSUMPTION_DOCS;
export type Assumptions = Readonly<Record<AssumptionName, number>>;

export const ASSUMPTION_NAMES = Object.keys(ASSUMPTION_DOCS) as AssumptionName[];

export const DEFAULT_ASSUMPTIONS: Assumptions = Object.freeze(
  Object.fromEntries(ASSUMPTION_NAMES.map((name) => [name, ASSUMPTION_DOCS[name][0]])) as Record<AssumptionName, number>,
);

const value = z.number().finite().min(0);
const overridesSchema = z.record(z.string(), z.unknown());

/** A bad assumption: names the key, the value and the fix. */
export class AssumptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssumptionError';
  }
}

function checked(name: string, raw: unknown, where: string): [AssumptionName, number] {
  if (!(ASSUMPTION_NAMES as string[]).includes(name)) {
    throw new AssumptionError(`${where}: unknown assumption ${JSON.stringify(name)}. Fix: use one of ${ASSUMPTION_NAMES.join(', ')}`);
  }
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  const parsed = value.safeParse(n);
  if (!parsed.success) {
    throw new AssumptionError(`${where}: ${name}=${JSON.stringify(raw)} is not a number of at least 0. Fix: e.g. ${name}=${ASSUMPTION_DOCS[name as AssumptionName][0]}`);
  }
  return [name as AssumptionName, parsed.data];
}

/** `KEY=VALUE,KEY=VALUE` from --assume. */
export function parseAssumeFlag(text: string): Partial<Assumptions> {
  const out: Partial<Record<AssumptionName, number>> = {};
  for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new AssumptionError(`--assume: ${JSON.stringify(pair)} is not KEY=VALUE. Fix: e.g. --assume natGbPerMonth=50,albLcu=2`);
    const [name, n] = checked(pair.slice(0, eq), pair.slice(eq + 1), '--assume');
    out[name] = n;
  }
  return out;
}

/** A JSON object of assumption overrides, e.g. {"natGbPerMonth": 50}. */
export function readAssumptionsFile(path: string): Partial<Assumptions> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AssumptionError(`--assumptions ${path}: cannot read it as JSON (${(error as Error).message}). Fix: a JSON object such as {"natGbPerMonth": 50}`);
  }
  const parsed = overridesSchema.safeParse(json);
  if (!parsed.success) throw new AssumptionError(`--assumptions ${path}: is not a JSON object. Fix: e.g. {"natGbPerMonth": 50}`);
  return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => checked(k, v, `--assumptions ${path}`)));
}

export function withAssumptions(...overrides: ReadonlyArray<Partial<Assumptions>>): Assumptions {
  return Object.freeze(Object.assign({}, DEFAULT_ASSUMPTIONS, ...overrides));
}
