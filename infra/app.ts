import { Fn, Tags, type App } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { assertDeployable, type SlipwayConfig } from './config.ts';
import { OUTPUT_KEYS, OUTPUT_STACK, stackNames, type OutputName } from './outputs.ts';
import { DataStack } from './stacks/data-stack.ts';
import { EdgeStack } from './stacks/edge-stack.ts';
import { NetworkStack } from './stacks/network-stack.ts';
import { ObservabilityStack } from './stacks/observability-stack.ts';
import { RegistryStack } from './stacks/registry-stack.ts';
import { ServiceStack } from './stacks/service-stack.ts';

export interface SlipwayStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly registry: RegistryStack;
  readonly edge: EdgeStack;
  readonly service: ServiceStack;
  readonly observability: ObservabilityStack;
}

/** Adds the six Slipway stacks to `app`, wired together. Throws ConfigError for settings no deploy may use. */
export function addSlipwayStacks(app: App, config: SlipwayConfig): SlipwayStacks {
  assertDeployable(config);
  const names = stackNames(config.appName);
  const env = { account: config.account, region: config.region };
  const base = (key: keyof typeof names, description: string) => ({
    env,
    stackName: names[key],
    description: `Slipway ${config.appName}: ${description}`,
    config,
  });
  const production = config.profile === 'production';
  const readOutput = (name: OutputName) => Fn.getStackOutput(names[OUTPUT_STACK[name]], OUTPUT_KEYS[name]);

  const network = new NetworkStack(app, names.network, base('network', 'VPC, subnets, NAT, flow logs'));
  const registry = new RegistryStack(app, names.registry, {
    ...base('registry', 'image repository'),
    terminationProtection: production,
  });
  const data = new DataStack(app, names.data, {
    ...base('data', 'PostgreSQL, Redis, buckets, secrets'),
    vpc: network.vpc,
    terminationProtection: production,
  });
  const edge = new EdgeStack(app, names.edge, base('edge', 'certificate and SES identity'));
  const service = new ServiceStack(app, names.service, {
    ...base('service', 'ECS services, load balancer, migrations'),
    vpc: network.vpc,
    data,
    repository: registry.repository,
    repositoryUri: registry.repositoryUri,
    // Literals where the settings know the value (an imported certificate, the SES domain),
    // so the service template changes with them; a created certificate's ARN comes from the
    // edge stack's named output. See "Cross-stack references" in infra/README.md.
    certificateArn: config.domain.certificateArn ?? readOutput('certificateArn'),
    sesIdentityName: config.email.sesDomain,
  });
  service.addStackDependency(edge, 'uses the certificate and the SES identity');
  const observability = new ObservabilityStack(app, names.observability, {
    ...base('observability', 'alarms and dashboard'),
    data,
    service,
  });

  // Never on listener rules: CloudFormation updating a rule (a tag value included) resets the
  // actions ECS set, sending production back to a drained target group (aws-cdk issue 36649).
  const untagged = { excludeResourceTypes: [elbv2.CfnListenerRule.CFN_RESOURCE_TYPE_NAME] };
  Tags.of(app).add('app', config.appName, untagged);
  Tags.of(app).add('profile', config.profile, untagged);
  return { network, data, registry, edge, service, observability };
}
