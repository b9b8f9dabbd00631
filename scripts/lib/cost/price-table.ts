/**
 * The pinned price table: on-demand list prices in USD, per region, each with the page it was
 * read from and the date it was read. `usd: null` means the price was looked for and not found;
 * the estimator reports such a line as unpriced, never as $0.
 *
 * The official AWS pricing pages render their numbers in the browser, so several figures were
 * read from the price-list data quoted by the pages or excerpts named in `note`; the `source`
 * is always the page to check the figure against.
 */

export interface PriceEntry {
  /** USD per `unit`; null: not found in the references (see `note`). */
  readonly usd: number | null;
  readonly unit: string;
  readonly source: string;
  /** The date the price was read (YYYY-MM-DD). */
  readonly read: string;
  readonly note?: string;
}

const READ = '2026-12-01';
const NOT_FOUND = 'not found in the stored price references on the date read; add it with --prices FILE';

const VPC = 'https://aws.amazon.com/vpc/pricing/';
const ELB = 'https://aws.amazon.com/elasticloadbalancing/pricing/';
const FARGATE = 'https://aws.amazon.com/fargate/pricing/';
const RDS_PG = 'https://aws.amazon.com/rds/postgresql/pricing/';
const ELASTICACHE = 'https://aws.amazon.com/elasticache/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const SECRETS = 'https://aws.amazon.com/secrets-manager/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const WAF = 'https://aws.amazon.com/waf/pricing/';
const ECR = 'https://aws.amazon.com/ecr/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const SES = 'https://aws.amazon.com/ses/pricing/';

const p = (usd: number | null, unit: string, source: string, note?: string): PriceEntry => ({ usd, unit, source, read: READ, ...(note ? { note } : {}) });

/** Prices that AWS publishes as the same in both regions of the table. */
const SAME_IN_BOTH: Record<string, PriceEntry> = {
  'publicIpv4.hour': p(0.005, 'per public IPv4 address-hour', VPC, 'also https://cloudburn.io/blog/aws-nat-gateway-pricing ("$0.005/hour per IP"); eu-west-1 confirmed by a July 2026 eu-west-1 bill excerpt (EU-PublicIPv4:InUseAddress, $8.91 for 1,783 address-hours)'),
  'secretsManager.secretMonth': p(0.4, 'per secret-month', SECRETS, 'the page\'s examples: "$0.40 / secret / month"'),
  'secretsManager.per10kCalls': p(0.05, 'per 10,000 API calls', SECRETS, 'the page\'s examples: "$0.05/10,000 calls"'),
  'kms.keyMonth': p(1, 'per customer managed key-month', KMS, 'also https://gist.github.com/dasgoll/b88d5be05dcc0deb052ad40446c2fb40 ("KMS costs $1 per key per month"); automatic rotation adds up to $1 per month for each of the first two rotations'),
  'waf.webAclMonth': p(5, 'per web ACL-month', WAF, 'https://c3x.dev/blog/aws-waf-cost-explained/; "The pricing for AWS WAF is consistent across all AWS Regions" (https://aws.amazon.com/blogs/networking-and-content-delivery/cost-effective-ways-for-securing-your-web-applications-using-aws-waf/)'),
  'waf.ruleMonth': p(1, 'per rule or rule group-month', WAF, 'https://c3x.dev/blog/aws-waf-cost-explained/: "A managed group counts as one rule here, though some carry their own subscription fee"'),
  'waf.perMillionRequests': p(0.6, 'per million requests inspected', WAF, 'https://c3x.dev/blog/aws-waf-cost-explained/'),
  'cloudwatch.alarmMetricMonth': p(0.1, 'per standard-resolution alarm metric-month', CLOUDWATCH, 'the page\'s example: "Four standard resolution alarms = $0.10 per alarm metric * 4"'),
  'cloudwatch.highResAlarmMetricMonth': p(0.3, 'per high-resolution alarm metric-month', CLOUDWATCH, 'https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ (alarms tiered by resolution)'),
  'cloudwatch.dashboardMonth': p(3, 'per dashboard-month', CLOUDWATCH, 'https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ ("dashboards at $3 each")'),
  'cloudwatch.customMetricMonth': p(0.3, 'per custom metric-month (first 10,000)', CLOUDWATCH, 'https://signoz.io/guides/cloudwatch-pricing ("$0.30/month for the first 10,000"); Container Insights metrics are charged as custom metrics'),
  'logs.storageGbMonth': p(0.03, 'per GB-month archived', CLOUDWATCH, 'Archival Storage "$0.03 per GB" in published cost breakdowns of CloudWatch log groups'),
  'ecr.storageGbMonth': p(0.1, 'per GB-month', ECR, 'eu-west-1 price list row EU-TimedStorage-ByteHrs $0.10/GB-Mo'),
  's3.standardGbMonth': p(0.023, 'per GB-month (S3 Standard, first 50 TB)', S3, 'eu-west-1: "$0.023 per GB-month" read from the AWS Pricing API on 27 September 2026 in a published eu-west-1 estimate'),
  'ses.per1000Emails': p(0.1, 'per 1,000 emails sent', SES),
};

export const PRICE_TABLE: Readonly<Record<string, Readonly<Record<string, PriceEntry>>>> = {
  'us-east-1': {
    ...SAME_IN_BOTH,
    'nat.hour': p(0.045, 'per NAT gateway-hour', VPC, 'https://basavytix.com/blog/aws-nat-gateway-pricing ("These are the us-east-1 rates")'),
    'nat.gb': p(0.045, 'per GB processed', VPC, 'https://basavytix.com/blog/aws-nat-gateway-pricing'),
    'alb.hour': p(0.0225, 'per Application Load Balancer-hour', ELB, '"$0.0225 per Application Load Balancer-hour; $0.008 per LCU-hour" in US regions, quoted from the page'),
    'alb.lcuHour': p(0.008, 'per LCU-hour', ELB),
    'fargate.X86_64.vcpuHour': p(0.04048, 'per vCPU-hour (Linux/x86)', FARGATE, 'https://www.vantage.sh/blog/fargate-pricing (us-east-1 table)'),
    'fargate.X86_64.gbHour': p(0.004445, 'per GB-hour (Linux/x86)', FARGATE, 'https://www.vantage.sh/blog/fargate-pricing'),
    'fargate.ARM64.vcpuHour': p(0.03238, 'per vCPU-hour (Linux/ARM)', FARGATE, 'https://www.vantage.sh/blog/fargate-pricing'),
    'fargate.ARM64.gbHour': p(0.00356, 'per GB-hour (Linux/ARM)', FARGATE, 'https://www.vantage.sh/blog/fargate-pricing'),
    'rds.postgres.db.t4g.micro': p(0.016, 'per instance-hour (Single-AZ)', RDS_PG, 'https://infratally.com/articles/aws-rds-pricing-explained-2026.html (us-east-1 t4g table)'),
    'rds.postgres.db.t4g.small': p(0.032, 'per instance-hour (Single-AZ)', RDS_PG, 'https://infratally.com/articles/aws-rds-pricing-explained-2026.html'),
    'rds.postgres.db.t4g.medium': p(0.065, 'per instance-hour (Single-AZ)', RDS_PG, 'https://infratally.com/articles/aws-rds-pricing-explained-2026.html'),
    'rds.gp3.gbMonth': p(0.115, 'per GB-month (Single-AZ)', RDS_PG, 'https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/ ("GB provisioned x $0.115/month (gp3)")'),
    'rds.backup.gbMonth': p(0.095, 'per GB-month beyond the free allowance', RDS_PG, 'https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/ ("Free up to 100% of provisioned DB storage size")'),
    'elasticache.cache.t4g.micro': p(0.016, 'per node-hour', ELASTICACHE, 'us-east-1 node prices quoted from the AWS Price List API (AmazonElastiCache NodeUsage) in public excerpts read 2026-10-02'),
    'elasticache.cache.t4g.small': p(0.032, 'per node-hour', ELASTICACHE, 'as cache.t4g.micro'),
    'elasticache.cache.t4g.medium': p(0.065, 'per node-hour', ELASTICACHE, 'as cache.t4g.micro'),
    'vpce.interface.azHour': p(0.01, 'per interface endpoint per AZ-hour', VPC, 'https://knbrlo.com/notes/aws/nat-gateway-data-processing ("about $0.01/hour per endpoint per AZ, plus $0.01/GB")'),
    'vpce.interface.gb': p(0.01, 'per GB processed', VPC, 'https://knbrlo.com/notes/aws/nat-gateway-data-processing'),
    'logs.ingestGb': p(0.5, 'per GB ingested', CLOUDWATCH, 'https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ ("Logs ingestion at $0.50/GB")'),
  },
  'eu-west-1': {
    ...SAME_IN_BOTH,
    'nat.hour': p(0.048, 'per NAT gateway-hour', VPC, 'AWS Price List offer file AmazonEC2/20260925174521/eu-west-1: EU-NatGateway-Hours $0.048/Hrs'),
    'nat.gb': p(0.048, 'per GB processed', VPC, 'same offer file: EU-NatGateway-Bytes $0.048/GB'),
    'alb.hour': p(0.0252, 'per Application Load Balancer-hour', ELB, 'a July 2026 eu-west-1 bill excerpt: EU-LoadBalancerUsage $15.00 for 595 hours'),
    'alb.lcuHour': p(null, 'per LCU-hour', ELB, NOT_FOUND),
    'fargate.X86_64.vcpuHour': p(0.04048, 'per vCPU-hour (Linux/x86)', FARGATE, 'eu-west-1 price list row EU-Fargate-vCPU-Hours:perCPU $0.04048'),
    'fargate.X86_64.gbHour': p(0.004445, 'per GB-hour (Linux/x86)', FARGATE, 'eu-west-1 price list row EU-Fargate-GB-Hours $0.004445'),
    'fargate.ARM64.vcpuHour': p(0.03238, 'per vCPU-hour (Linux/ARM)', FARGATE, 'eu-west-1 price list row EU-Fargate-ARM-vCPU-Hours:perCPU $0.03238'),
    'fargate.ARM64.gbHour': p(0.00356, 'per GB-hour (Linux/ARM)', FARGATE, 'eu-west-1 price list row EU-Fargate-ARM-GB-Hours $0.00356'),
    'rds.postgres.db.t4g.micro': p(0.017, 'per instance-hour (Single-AZ)', RDS_PG, 'eu-west-1 Cost Explorer excerpts: EU-InstanceUsage:db.t4g.micro $0.0170/h'),
    'rds.postgres.db.t4g.small': p(0.035, 'per instance-hour (Single-AZ)', RDS_PG, 'eu-west-1 Cost Explorer excerpt: EU-InstanceUsage:db.t4g.small $0.0350/h'),
    'rds.postgres.db.t4g.medium': p(null, 'per instance-hour (Single-AZ)', RDS_PG, NOT_FOUND),
    'rds.gp3.gbMonth': p(0.127, 'per GB-month (Single-AZ)', RDS_PG, 'a July 2026 eu-west-1 bill excerpt: EU-RDS:GP3-Storage $2.54 for 20 GiB'),
    'rds.backup.gbMonth': p(null, 'per GB-month beyond the free allowance', RDS_PG, NOT_FOUND),
    'elasticache.cache.t4g.micro': p(null, 'per node-hour', ELASTICACHE, NOT_FOUND),
    'elasticache.cache.t4g.small': p(null, 'per node-hour', ELASTICACHE, NOT_FOUND),
    'elasticache.cache.t4g.medium': p(null, 'per node-hour', ELASTICACHE, NOT_FOUND),
    'vpce.interface.azHour': p(null, 'per interface endpoint per AZ-hour', VPC, NOT_FOUND),
    'vpce.interface.gb': p(null, 'per GB processed', VPC, NOT_FOUND),
    'logs.ingestGb': p(0.57, 'per GB ingested', CLOUDWATCH, 'eu-west-1 list price "$0.57 per GB ingested" from the AWS price list of 1 July 2026, quoted in a published eu-west-1 estimate'),
  },
};

export const PRICED_REGIONS = Object.keys(PRICE_TABLE);

/** Edit distance (insertions, deletions, substitutions), for naming the region a typo meant. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Why `--price-region REGION` cannot be used, or undefined when it can: the region must have a
 * table here (or prices given with --prices FILE), because a region without one prices nothing
 * and the estimate would read $0. `alternatives` is what else the command offers.
 */
export function priceRegionProblem(region: string, givenRegions: readonly string[] = [], alternatives = ''): string | undefined {
  if (region in PRICE_TABLE || givenRegions.includes(region)) return undefined;
  const known = [...PRICED_REGIONS, ...givenRegions.filter((r) => !(r in PRICE_TABLE))];
  // A name shaped like a region (sa-east-1) is one without a table, not a typo of a near one.
  const shapedLikeRegion = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region);
  const nearest = known.map((r) => ({ r, d: distance(region.toLowerCase(), r) })).sort((x, y) => x.d - y.d)[0];
  const fix = nearest && !shapedLikeRegion && nearest.d <= 2 ? `--price-region ${nearest.r}` : `one of ${known.join(', ')}${alternatives}`;
  return `--price-region ${JSON.stringify(region)} is not a region of the price table, which has ${known.join(', ')}. Fix: ${fix}`;
}
