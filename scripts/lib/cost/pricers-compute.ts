/** ECS on Fargate: long-running services at their minimum task count, one-off tasks, Container Insights. */
import { literal, numberProp, refersTo } from './assembly.ts';
import { baseName, type LineDraft, type Located, type Pricer, type PricingContext } from './model.ts';

/** The minimum task count: the scaling target's MinCapacity, else DesiredCount, else 1. */
export function minTasks(ctx: PricingContext, service: Located): number {
  // Application Auto Scaling sets the floor; CloudFormation's DesiredCount default is 1
  // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-service.html).
  const target = ctx.index
    .ofType('AWS::ApplicationAutoScaling::ScalableTarget')
    .find((t) => t.stack === service.stack && t.resource.Properties?.ScalableDimension === 'ecs:service:DesiredCount' && refersTo(t.resource.Properties?.ResourceId, service.id));
  const fromTarget = target ? numberProp(target.resource.Properties?.MinCapacity, target.stack) : undefined;
  return fromTarget ?? numberProp(service.resource.Properties?.DesiredCount, service.stack) ?? 1;
}

export function serviceName(service: Located): string {
  const named = literal(service.resource.Properties?.ServiceName, service.stack);
  return typeof named === 'string' ? named : baseName(service.id).replace(/Service$/, '').toLowerCase() || service.id;
}

export function taskDefinitionOf(ctx: PricingContext, service: Located): Located | undefined {
  const ref = (service.resource.Properties?.TaskDefinition as { Ref?: string } | undefined)?.Ref;
  return ref ? ctx.index.inStack(service.stack, ref) : undefined;
}

interface TaskSize {
  readonly vcpu: number;
  readonly gb: number;
  readonly arch: 'X86_64' | 'ARM64';
}

function taskSize(ctx: PricingContext, task: Located, key: string, label: string): TaskSize | undefined {
  const props = task.resource.Properties ?? {};
  const cpu = numberProp(props.Cpu, task.stack);
  const memory = numberProp(props.Memory, task.stack);
  const arch = literal((props.RuntimePlatform as { CpuArchitecture?: unknown } | undefined)?.CpuArchitecture, task.stack) ?? 'X86_64';
  const os = literal((props.RuntimePlatform as { OperatingSystemFamily?: unknown } | undefined)?.OperatingSystemFamily, task.stack) ?? 'LINUX';
  if (cpu === undefined || memory === undefined) {
    ctx.unpriced({ key, label, reason: `task definition ${task.id} has no literal Cpu/Memory` });
    return undefined;
  }
  if ((arch !== 'X86_64' && arch !== 'ARM64') || os !== 'LINUX') {
    ctx.unpriced({ key, label, reason: `task definition ${task.id} runs ${String(os)}/${String(arch)}; the table prices Linux on X86_64 and ARM64 only` });
    return undefined;
  }
  return { vcpu: cpu / 1024, gb: memory / 1024, arch };
}

function fargateLines(key: string, label: string, size: TaskSize, taskHours: number, count: number, how: string): LineDraft[] {
  return [
    { key: `${key}:vcpu`, label: `${label} vCPU (${size.arch})`, count, quantity: size.vcpu * taskHours, priceKey: `fargate.${size.arch}.vcpuHour`, basis: 'fixed', detail: `${how} × ${size.vcpu} vCPU` },
    { key: `${key}:memory`, label: `${label} memory (${size.arch})`, count, quantity: size.gb * taskHours, priceKey: `fargate.${size.arch}.gbHour`, basis: 'fixed', detail: `${how} × ${size.gb} GB` },
  ];
}

function isFargate(service: Located): boolean {
  const props = service.resource.Properties ?? {};
  if (props.LaunchType === 'FARGATE') return true;
  const strategy = props.CapacityProviderStrategy as Array<{ CapacityProvider?: string }> | undefined;
  return Boolean(strategy?.length) && strategy!.every((s) => s.CapacityProvider === 'FARGATE');
}

export const fargatePricer: Pricer = {
  types: ['AWS::ECS::Service', 'AWS::ECS::TaskDefinition'],
  lines: (ctx) => {
    const out: LineDraft[] = [];
    const hours = ctx.assumptions.hoursPerMonth;
    const services = ctx.index.ofType('AWS::ECS::Service');
    for (const service of services) {
      const name = serviceName(service);
      const key = `fargate:${name}`;
      const label = `Fargate ${name}`;
      if (!isFargate(service)) {
        ctx.unpriced({ key, label, reason: `service ${service.id} does not run on FARGATE on-demand (EC2 or Spot capacity is not in the price table)` });
        continue;
      }
      const task = taskDefinitionOf(ctx, service);
      if (!task) {
        ctx.unpriced({ key, label, reason: `service ${service.id} has no task definition in its stack` });
        continue;
      }
      const size = taskSize(ctx, task, key, label);
      const count = minTasks(ctx, service);
      if (size) out.push(...fargateLines(key, label, size, count * hours, count, `${count} task(s) × ${hours} h`));
    }
    // Task definitions no service runs are one-off tasks (migrations): priced per run.
    const used = new Set(services.map((s) => taskDefinitionOf(ctx, s)).filter(Boolean));
    for (const task of ctx.index.ofType('AWS::ECS::TaskDefinition')) {
      if (used.has(task)) continue;
      const family = literal(task.resource.Properties?.Family, task.stack);
      const name = typeof family === 'string' ? family : baseName(task.id);
      const key = `oneoff:${name}`;
      const label = `one-off task ${name}`;
      const size = taskSize(ctx, task, key, label);
      const { oneOffTaskRunsPerMonth: runs, oneOffTaskMinutes: minutes } = ctx.assumptions;
      if (size) {
        const lines = fargateLines(key, label, size, (runs * minutes) / 60, 1, `${runs} runs × ${minutes} min`);
        out.push(...lines.map((l) => ({ ...l, basis: 'usage' as const })));
      }
    }
    return out;
  },
};

export const containerInsightsPricer: Pricer = {
  types: ['AWS::ECS::Cluster'],
  lines: (ctx) =>
    ctx.index.ofType('AWS::ECS::Cluster').flatMap((cluster): LineDraft[] => {
      const settings = (cluster.resource.Properties?.ClusterSettings as Array<{ Name?: string; Value?: string }> | undefined) ?? [];
      const mode = settings.find((s) => s.Name === 'containerInsights')?.Value;
      if (mode !== 'enabled' && mode !== 'enhanced') return [];
      const metrics = ctx.assumptions.containerInsightsMetrics;
      if (mode === 'enhanced') {
        ctx.unpriced({ key: 'container-insights', label: 'Container Insights (enhanced)', reason: 'enhanced observability is billed per observation; the table has no price for it' });
        return [];
      }
      return [{ key: 'container-insights', label: 'Container Insights metrics', count: 1, quantity: metrics, priceKey: 'cloudwatch.customMetricMonth', basis: 'usage', detail: `${metrics} custom metrics (assumption containerInsightsMetrics)` }];
    }),
};
