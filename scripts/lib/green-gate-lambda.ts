/**
 * Lambda entry of the green gate (bundled at synth by infra/constructs/blue-green-hook.ts).
 * The test listener is reachable only from this function's security group, so it talks to
 * the load balancer's private addresses inside the VPC, found by the network interfaces ELB
 * creates (description `ELB app/<name>/<id>`):
 * https://repost.aws/knowledge-center/elb-find-load-balancer-IP
 */
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runGreenGate, type GateDeps, type GateLogLine, type HookEvent, type HookResponse } from './green-gate.ts';
import { realClock } from './wait.ts';

/** Environment of the function: set by the construct, read here (one definition). */
export const GATE_ENV = {
  loadBalancerFullName: 'LOAD_BALANCER_FULL_NAME',
  metricsTokenSecretArn: 'METRICS_TOKEN_SECRET_ARN',
  smokeTokenSecretArn: 'SMOKE_TOKEN_SECRET_ARN',
  budgetSeconds: 'GATE_BUDGET_SECONDS',
} as const;

/** The private IPv4 addresses of a load balancer's nodes. */
export async function loadBalancerAddresses(ec2: EC2Client, loadBalancerFullName: string): Promise<string[]> {
  const out = await ec2.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: [`ELB ${loadBalancerFullName}`] }] }),
  );
  return (out.NetworkInterfaces ?? [])
    .map((eni) => eni.PrivateIpAddress)
    .filter((ip): ip is string => Boolean(ip))
    .sort();
}

async function secret(client: SecretsManagerClient, arn: string | undefined): Promise<string | undefined> {
  if (!arn) return undefined;
  const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  return out.SecretString?.trim() || undefined;
}

/** The gate's dependencies from the function's environment and real AWS clients. */
export function gateDepsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  clients: { ec2: EC2Client; secrets: SecretsManagerClient },
  log: (line: GateLogLine) => void = (line) => console.log(JSON.stringify(line)),
): GateDeps {
  const fullName = env[GATE_ENV.loadBalancerFullName];
  if (!fullName) throw new Error(`${GATE_ENV.loadBalancerFullName} is not set: the hook cannot find the test listener`);
  return {
    clock: realClock,
    budgetSeconds: Number(env[GATE_ENV.budgetSeconds] ?? '300'),
    log,
    testUrls: async (port) => (await loadBalancerAddresses(clients.ec2, fullName)).map((ip) => new URL(`http://${ip}:${port}`)),
    tokens: async () => {
      const [metricsToken, smokeToken] = await Promise.all([
        secret(clients.secrets, env[GATE_ENV.metricsTokenSecretArn]),
        secret(clients.secrets, env[GATE_ENV.smokeTokenSecretArn]),
      ]);
      return { metricsToken, smokeToken };
    },
  };
}

let deps: GateDeps | undefined;

export async function handler(event: HookEvent): Promise<HookResponse> {
  deps ??= gateDepsFromEnv(process.env, { ec2: new EC2Client({}), secrets: new SecretsManagerClient({}) });
  return runGreenGate(event, deps);
}
