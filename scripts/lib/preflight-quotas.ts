/**
 * Service quotas that commonly block a first deploy. GetServiceQuota answers with the applied
 * value; for a quota never raised it may have none (NoSuchResourceException), and then the
 * AWS default holds (GetAWSDefaultServiceQuota,
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html).
 * A quota that could not be read either way is reported, never counted as room.
 */
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, type ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { SlipwayConfig } from '../../infra/config.ts';
import { oneLine } from './cli.ts';
import { errorName, fail, pass, warn, type PreflightCheck } from './preflight-check.ts';

interface QuotaNeed {
  readonly service: string;
  readonly code: string;
  readonly label: string;
  readonly need: (c: SlipwayConfig) => number;
}

export const QUOTAS: readonly QuotaNeed[] = [
  { service: 'ec2', code: 'L-0263D0A3', label: 'Elastic IPs (one per NAT gateway)', need: (c) => c.network.natGateways },
  { service: 'vpc', code: 'L-F678F1CE', label: 'VPCs per region', need: () => 1 },
  { service: 'elasticloadbalancing', code: 'L-53DA6B97', label: 'Application Load Balancers per region', need: () => 1 },
  { service: 'rds', code: 'L-7B6409FD', label: 'RDS DB instances (one more for restore drills)', need: () => 2 },
  {
    service: 'fargate',
    code: 'L-3032A538',
    label: 'Fargate On-Demand vCPUs at maximum scale',
    need: (c) => (c.services.api.maxTasks * c.services.api.cpu + c.services.web.maxTasks * c.services.web.cpu + c.services.migrate.cpu) / 1024,
  },
];

type QuotaValue = { readonly value: number; readonly from: 'applied' | 'default' } | { readonly unread: string };

async function quotaValue(quotas: ServiceQuotasClient, q: QuotaNeed): Promise<QuotaValue> {
  const input = { ServiceCode: q.service, QuotaCode: q.code };
  try {
    const applied = (await quotas.send(new GetServiceQuotaCommand(input))).Quota?.Value;
    if (applied !== undefined) return { value: applied, from: 'applied' };
  } catch (error) {
    if (!/NoSuchResource/.test(errorName(error))) return { unread: oneLine(error) };
  }
  try {
    const fallback = (await quotas.send(new GetAWSDefaultServiceQuotaCommand(input))).Quota?.Value;
    return fallback === undefined ? { unread: 'neither an applied nor a default value' } : { value: fallback, from: 'default' };
  } catch (error) {
    return { unread: `no applied value, and the default could not be read (${oneLine(error)})` };
  }
}

export const checkQuotas: PreflightCheck = {
  name: 'service quotas',
  aws: true,
  run: async ({ config, clients }) => {
    const short: string[] = [];
    const read: string[] = [];
    const unread: string[] = [];
    for (const q of QUOTAS) {
      const got = await quotaValue(clients.quotas, q);
      if ('unread' in got) {
        unread.push(`${q.label} (${q.service} ${q.code}): ${got.unread}`);
        continue;
      }
      const need = q.need(config);
      read.push(`${q.label} ${got.value}${got.from === 'default' ? ' (default)' : ''}`);
      if (got.value < need) short.push(`${q.label}: quota ${got.value}${got.from === 'default' ? ' (the default)' : ''}, this deploy needs ${need}`);
    }
    if (short.length) return fail(short.join('; '), 'request an increase in the Service Quotas console (it may take a day), or lower the settings');
    if (unread.length) {
      return warn(`${read.length} of ${QUOTAS.length} quota(s) read with room; could not read ${unread.join('; ')}`, 'grant servicequotas:GetServiceQuota and servicequotas:GetAWSDefaultServiceQuota, or check these limits in the Service Quotas console');
    }
    return pass(`${read.length} quota(s) read, each with room (usage by other workloads is not counted): ${read.join(', ')}`);
  },
};
