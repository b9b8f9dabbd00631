/** NAT gateways, public IPv4 addresses, the load balancer, VPC endpoints. */
import { literal } from './assembly.ts';
import type { LineDraft, Located, Pricer, PricingContext } from './model.ts';
import { minTasks, serviceName } from './pricers-compute.ts';

const hoursOf = (ctx: PricingContext) => ctx.assumptions.hoursPerMonth;

export const natPricer: Pricer = {
  types: ['AWS::EC2::NatGateway'],
  lines: (ctx) => {
    const nats = ctx.index.ofType('AWS::EC2::NatGateway').filter((n) => n.resource.Properties?.ConnectivityType !== 'private');
    const privateNats = ctx.index.ofType('AWS::EC2::NatGateway').length - nats.length;
    const all = nats.length + privateNats;
    if (all === 0) return [];
    const h = hoursOf(ctx);
    const gb = ctx.assumptions.natGbPerMonth;
    return [
      { key: 'nat-gateway', label: 'NAT gateway', count: all, quantity: all * h, priceKey: 'nat.hour', basis: 'fixed', detail: `${all} × ${h} h` },
      { key: 'nat-data', label: 'NAT data processed', count: 1, quantity: gb, priceKey: 'nat.gb', basis: 'usage', detail: `${gb} GB (assumption natGbPerMonth)` },
    ];
  },
};

/** Public IPv4 addresses an internet-facing load balancer holds: one per subnet (AZ) it spans. */
function loadBalancerIpv4(lb: Located): number {
  const props = lb.resource.Properties ?? {};
  if (props.Scheme === 'internal' || props.IpAddressType === 'dualstack-without-public-ipv4') return 0;
  const subnets = (props.Subnets as unknown[] | undefined)?.length ?? (props.SubnetMappings as unknown[] | undefined)?.length ?? 0;
  return subnets;
}

function publicTasks(ctx: PricingContext): Array<{ name: string; count: number }> {
  return ctx.index.ofType('AWS::ECS::Service').flatMap((s) => {
    const network = s.resource.Properties?.NetworkConfiguration as { AwsvpcConfiguration?: { AssignPublicIp?: unknown } } | undefined;
    return literal(network?.AwsvpcConfiguration?.AssignPublicIp, s.stack) === 'ENABLED' ? [{ name: serviceName(s), count: minTasks(ctx, s) }] : [];
  });
}

export const publicIpv4Pricer: Pricer = {
  types: ['AWS::EC2::EIP'],
  lines: (ctx) => {
    // Every public IPv4 address is billed hourly, in use or not (https://aws.amazon.com/vpc/pricing/).
    const eips = ctx.index.ofType('AWS::EC2::EIP').length;
    const lbs = ctx.index.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').reduce((n, lb) => n + loadBalancerIpv4(lb), 0);
    const tasks = publicTasks(ctx).reduce((n, t) => n + t.count, 0);
    const count = eips + lbs + tasks;
    if (count === 0) return [];
    const parts = [eips && `${eips} Elastic IP`, lbs && `${lbs} load balancer`, tasks && `${tasks} task`].filter(Boolean).join(' + ');
    const h = hoursOf(ctx);
    return [{ key: 'public-ipv4', label: 'public IPv4 address', count, quantity: count * h, priceKey: 'publicIpv4.hour', basis: 'fixed', detail: `${parts} = ${count} × ${h} h` }];
  },
};

export const loadBalancerPricer: Pricer = {
  types: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
  lines: (ctx) => {
    const lbs = ctx.index.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const albs = lbs.filter((lb) => (lb.resource.Properties?.Type ?? 'application') === 'application');
    for (const other of lbs.filter((lb) => !albs.includes(lb))) {
      ctx.unpriced({ key: `load-balancer:${other.id}`, label: `${String(other.resource.Properties?.Type)} load balancer`, reason: 'only Application Load Balancers are in the price table' });
    }
    if (albs.length === 0) return [];
    const h = hoursOf(ctx);
    const lcu = ctx.assumptions.albLcu;
    return [
      { key: 'load-balancer', label: 'Application Load Balancer', count: albs.length, quantity: albs.length * h, priceKey: 'alb.hour', basis: 'fixed', detail: `${albs.length} × ${h} h` },
      { key: 'load-balancer-lcu', label: 'load balancer capacity units', count: albs.length, quantity: albs.length * lcu * h, priceKey: 'alb.lcuHour', basis: 'usage', detail: `${lcu} LCU (assumption albLcu) × ${h} h` },
    ];
  },
};

export const vpcEndpointPricer: Pricer = {
  types: ['AWS::EC2::VPCEndpoint'],
  lines: (ctx) => {
    const out: LineDraft[] = [];
    const h = hoursOf(ctx);
    for (const ep of ctx.index.ofType('AWS::EC2::VPCEndpoint')) {
      const props = ep.resource.Properties ?? {};
      const type = literal(props.VpcEndpointType, ep.stack) ?? 'Gateway';
      const service = JSON.stringify(props.ServiceName ?? '').match(/\.([a-z0-9-]+)"?\]*\]?\}?"?$/)?.[1] ?? ep.id;
      if (type === 'Gateway') {
        out.push({ key: `vpc-endpoint:${ep.id}`, label: `gateway endpoint (${service})`, count: 1, quantity: 0, priceKey: null, basis: 'fixed', detail: 'gateway endpoints (S3, DynamoDB) have no hourly or data charge' });
        continue;
      }
      if (type !== 'Interface') {
        ctx.unpriced({ key: `vpc-endpoint:${ep.id}`, label: `${String(type)} endpoint`, reason: `VPC endpoint type ${String(type)} is not in the price table` });
        continue;
      }
      const azs = (props.SubnetIds as unknown[] | undefined)?.length ?? 0;
      const gb = ctx.assumptions.interfaceEndpointGbPerMonth;
      out.push(
        { key: `vpc-endpoint:${ep.id}`, label: `interface endpoint (${service})`, count: 1, quantity: azs * h, priceKey: 'vpce.interface.azHour', basis: 'fixed', detail: `${azs} AZ × ${h} h` },
        { key: `vpc-endpoint-data:${ep.id}`, label: `interface endpoint data (${service})`, count: 1, quantity: gb, priceKey: 'vpce.interface.gb', basis: 'usage', detail: `${gb} GB (assumption interfaceEndpointGbPerMonth)` },
      );
    }
    return out;
  },
};
