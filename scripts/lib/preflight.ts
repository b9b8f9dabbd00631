/**
 * `npm run preflight`: everything that commonly blocks a deploy, checked before it starts.
 * Each check is a small function returning pass/warn/fail with the fix; any fail exits 1.
 */
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { GetHostedZoneCommand } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DEPLOY_CHECKS, type SlipwayConfig } from '../../infra/config.ts';
import type { AwsClients } from './aws.ts';
import { oneLine, type CommandResult, type CommandSpec, type Reporter, type StepStatus } from './cli.ts';
import { detectBuilder } from './image.ts';
import { checkQuotas } from './preflight-quotas.ts';
import { checkDatabaseStorage } from './preflight-storage.ts';
import { checkServiceLinkedRoles } from './preflight-service-roles.ts';
import { ALLOW_OVER_BUDGET_OPTION, checkBudget } from './cost/budget.ts';
import type { CommandRunner } from './runner.ts';
import { checkSesSandbox } from './ses-sandbox.ts';
import { StackOutputs } from './stacks.ts';
import { checkLeftovers } from './teardown/leftover-check.ts';
import type { Clock } from './wait.ts';

export { errorName, fail, pass, warn, type CheckOutcome, type PreflightCheck, type PreflightContext } from './preflight-check.ts';
import { errorName, fail, pass, warn, type CheckOutcome, type PreflightCheck, type PreflightContext } from './preflight-check.ts';
const DAY_MS = 86_400_000;

export const checkIdentity: PreflightCheck = {
  name: 'AWS identity and account',
  run: async ({ config, clients }) => {
    let account: string | undefined;
    let arn: string | undefined;
    try {
      ({ Account: account, Arn: arn } = await clients.sts.send(new GetCallerIdentityCommand({})));
    } catch (error) {
      return fail(`no usable AWS credentials: ${oneLine(error)}`, 'sign in (aws sso login, or set AWS_PROFILE) and run preflight again');
    }
    if (account !== config.account) {
      return fail(`the credentials are for account ${account} (${arn}) but AWS_ACCOUNT_ID=${config.account}`, 'switch AWS_PROFILE to the target account, or correct AWS_ACCOUNT_ID');
    }
    return pass(`${arn} in ${account}`);
  },
};

export const checkRegion: PreflightCheck = {
  name: 'region',
  run: async ({ config, env }) => {
    const other = [env.AWS_DEFAULT_REGION, env.CDK_DEFAULT_REGION].find((r) => r && r !== config.region);
    if (other) {
      return warn(`the settings say ${config.region} but the shell's default region is ${other}`, `the kit deploys to ${config.region}; unset or align AWS_DEFAULT_REGION / CDK_DEFAULT_REGION to avoid surprises with other tools`);
    }
    return pass(config.region);
  },
};

export const checkBootstrap: PreflightCheck = {
  name: 'CDK bootstrap',
  aws: true,
  run: async ({ config, clients }) => {
    const fix = `npx cdk bootstrap aws://${config.account}/${config.region}`;
    try {
      const out = await clients.ssm.send(new GetParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version' }));
      const version = Number(out.Parameter?.Value);
      if (!Number.isFinite(version) || version < 6) return fail(`bootstrap version ${out.Parameter?.Value} is too old (need 6 or later)`, fix);
      return pass(`version ${version}`);
    } catch (error) {
      if (errorName(error) === 'ParameterNotFound') return fail(`${config.account}/${config.region} is not bootstrapped for CDK`, fix);
      throw error;
    }
  },
};

const bare = (name: string) => name.toLowerCase().replace(/\.$/, '');

export const checkHostedZone: PreflightCheck = {
  name: 'hosted zone',
  aws: true,
  run: async ({ config, clients }) => {
    const { hostedZoneId, hostedZoneName, domainName } = config.domain;
    try {
      const out = await clients.route53.send(new GetHostedZoneCommand({ Id: hostedZoneId }));
      const name = bare(out.HostedZone?.Name ?? '');
      if (name !== hostedZoneName) return fail(`zone ${hostedZoneId} is ${name}, not HOSTED_ZONE_NAME=${hostedZoneName}`, 'set HOSTED_ZONE_NAME to the zone\'s name, or HOSTED_ZONE_ID to the right zone');
      if (out.HostedZone?.Config?.PrivateZone) return fail(`zone ${hostedZoneId} is private: the public cannot resolve ${domainName}`, 'use the public hosted zone of the domain');
      if (!(domainName === name || domainName.endsWith(`.${name}`))) return fail(`${domainName} is not inside ${name}`, 'use a DOMAIN_NAME inside the zone');
      return pass(`${hostedZoneId} is ${name}; ${domainName} is inside it`);
    } catch (error) {
      if (errorName(error) === 'NoSuchHostedZone') return fail(`no hosted zone ${hostedZoneId} in this account`, 'create the public zone in Route 53 or correct HOSTED_ZONE_ID');
      throw error;
    }
  },
};

export function certificateCovers(names: readonly string[], domain: string): boolean {
  return names.some((n) => {
    const name = n.toLowerCase();
    if (name === domain) return true;
    if (!name.startsWith('*.')) return false;
    const rest = domain.split('.').slice(1).join('.');
    return name.slice(2) === rest;
  });
}

export const checkCertificate: PreflightCheck = {
  name: 'certificate',
  aws: true,
  run: async ({ config, clients, clock, resolveNs }) => {
    const { certificateArn, domainName, hostedZoneId, hostedZoneName } = config.domain;
    if (certificateArn) {
      let cert;
      try {
        cert = (await clients.acm.send(new DescribeCertificateCommand({ CertificateArn: certificateArn }))).Certificate;
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return fail(`no certificate ${certificateArn} in ${config.region}`, 'import or request it in the same region as the load balancer');
        throw error;
      }
      if (cert?.Status !== 'ISSUED') return fail(`certificate status is ${cert?.Status}`, 'finish its validation (see runbooks/https-certificate.md) or unset CERTIFICATE_ARN to let the kit create one');
      const names = [cert.DomainName ?? '', ...(cert.SubjectAlternativeNames ?? [])];
      if (!certificateCovers(names, domainName)) return fail(`the certificate covers ${names.join(', ')}, not ${domainName}`, 'use a certificate that names the domain (or a matching wildcard)');
      const daysLeft = Math.floor(((cert.NotAfter?.getTime() ?? 0) - clock.now()) / DAY_MS);
      if (daysLeft < 30) return fail(`the certificate expires in ${daysLeft} days`, 'renew or re-import it before deploying (see runbooks/https-certificate.md)');
      return pass(`imported, ISSUED, covers ${domainName}, ${daysLeft} days left`);
    }
    const zone = await clients.route53.send(new GetHostedZoneCommand({ Id: hostedZoneId }));
    const expected = (zone.DelegationSet?.NameServers ?? []).map(bare).sort();
    let actual: string[];
    try {
      actual = (await resolveNs(hostedZoneName)).map(bare).sort();
    } catch (error) {
      return fail(`public DNS has no NS records for ${hostedZoneName} (${oneLine(error)})`, `at the registrar, set the name servers of ${hostedZoneName} to ${expected.join(', ')}`);
    }
    if (expected.length === 0 || expected.join(',') !== actual.join(',')) {
      return fail(`${hostedZoneName} is delegated to ${actual.join(', ') || 'nothing'}, not to this zone (${expected.join(', ')})`, `at the registrar, set the name servers to ${expected.join(', ')}; DNS validation of the new certificate cannot finish otherwise`);
    }
    return pass(`will be created and DNS-validated in ${hostedZoneName}, which is delegated to this zone`);
  },
};

export const checkSes: PreflightCheck = {
  name: 'SES identity',
  aws: true,
  run: async ({ config, clients }) => {
    const domain = config.email.sesDomain;
    try {
      const out = await clients.ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
      const dkim = out.DkimAttributes?.Status;
      if (dkim === 'FAILED' || dkim === 'TEMPORARY_FAILURE') return fail(`identity ${domain}: DKIM ${dkim}`, 'check the DKIM CNAME records in the hosted zone (the edge stack writes them)');
      return pass(out.VerifiedForSendingStatus ? `${domain} verified for sending` : `${domain} pending verification (DKIM ${dkim ?? 'unknown'})`);
    } catch (error) {
      if (errorName(error) !== 'NotFoundException') throw error;
      return pass('not created yet (the edge stack creates it with its DKIM records)');
    }
  },
};

export const checkBuilder: PreflightCheck = {
  name: 'container build tool',
  run: async ({ runner, config }) => {
    const builder = await detectBuilder(runner);
    if (!builder) return fail('none of docker (with a running engine), podman or buildah is available', 'install one (docker with buildx for cross-architecture builds), or deploy an image built elsewhere with npm run deploy -- --release TAG');
    return pass(`${builder}; the image is built for ${config.services.cpuArchitecture === 'ARM64' ? 'linux/arm64' : 'linux/amd64'}`);
  },
};

const PLACEHOLDER = /change-?me|placeholder|example|todo|xxx|secret|password|^dev-/i;

export const checkSecrets: PreflightCheck = {
  name: 'required secrets',
  aws: true,
  run: async ({ config, clients }) => {
    const outputs = new StackOutputs(clients.cfn, config.appName);
    const names = ['sessionSecretArn', 'metricsTokenSecretArn', 'credentialsKeySecretArn'] as const;
    const arns = await Promise.all(names.map((n) => outputs.find(n)));
    if (arns.every((a) => a === undefined)) return pass('none yet: the first deploy generates them in Secrets Manager');
    const bad: string[] = [];
    for (const [i, arn] of arns.entries()) {
      if (!arn) {
        bad.push(`${names[i]} is not an output of the data stack`);
        continue;
      }
      try {
        const value = (await clients.secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '';
        if (value.length < 32 || PLACEHOLDER.test(value)) bad.push(`${arn} holds a placeholder or a value under 32 characters`);
      } catch (error) {
        bad.push(`${arn}: ${errorName(error) === 'ResourceNotFoundException' ? 'does not exist' : oneLine(error)}`);
      }
    }
    if (bad.length) return fail(bad.join('; '), 'let the stack regenerate it, or put a strong value: openssl rand -base64 48 (see runbooks/secret-rotation.md)');
    return pass(`${arns.length} secrets exist and hold real values`);
  },
};

export const PREFLIGHT_CHECKS: readonly PreflightCheck[] = [
  checkIdentity,
  checkRegion,
  checkBootstrap,
  checkHostedZone,
  checkCertificate,
  checkSes,
  checkSesSandbox,
  checkBuilder,
  checkSecrets,
  checkDatabaseStorage,
  checkQuotas,
  checkServiceLinkedRoles,
  checkBudget,
  checkLeftovers,
];

/** Runs every check (a crash in one is that check's failure); exit 1 if any failed. */
export async function preflight(
  load: () => SlipwayConfig,
  makeContext: (config: SlipwayConfig) => PreflightContext,
  reporter: Reporter,
  checks: readonly PreflightCheck[] = PREFLIGHT_CHECKS,
): Promise<CommandResult> {
  const results: Array<CheckOutcome & { name: string }> = [];
  let config: SlipwayConfig;
  try {
    config = load();
    if (config.exampleSettings.length > 0) {
      // The example values make `cdk synth` work on a fresh clone; they must never be deployed.
      const detail = `still the example values for ${config.exampleSettings.join(', ')} (cdk.json "slipway:example-settings")`;
      const fix = 'set your own values in .env (copy .env.example) or cdk.json context';
      results.push({ name: 'settings', status: 'fail', detail, fix });
      reporter.step('fail', 'settings', detail, fix);
    } else if (DEPLOY_CHECKS.some((c) => c(config).length > 0)) {
      // What cdk synth would refuse (infra/app.ts): said before the checks that take minutes.
      const issues = DEPLOY_CHECKS.flatMap((c) => c(config));
      const detail = `may not be deployed: ${issues.join('; ')}`;
      const fix = 'fix the settings named above in .env or cdk.json (see infra/README.md)';
      results.push({ name: 'settings', status: 'fail', detail, fix });
      reporter.step('fail', 'settings', detail, fix);
    } else {
      results.push({ name: 'settings', status: 'pass', detail: `${config.profile} profile, ${config.appName} at ${config.appUrl} in ${config.account}/${config.region}` });
      reporter.step('pass', 'settings', results[0]!.detail);
    }
  } catch (error) {
    const detail = oneLine(error);
    reporter.step('fail', 'settings', detail, 'fix the settings named above in .env or cdk.json (see infra/README.md)');
    // Exit 2, as every other command exits for settings that do not parse.
    return { ok: false, badSettings: true, summary: `the settings do not parse: ${detail}`, document: { checks: [{ name: 'settings', status: 'fail', detail }] } };
  }
  const ctx = makeContext(config);
  let credentialsFailed = false;
  for (const check of checks) {
    let outcome: CheckOutcome;
    try {
      outcome = credentialsFailed && check.aws
        ? { status: 'skip', detail: 'needs usable AWS credentials (see above)' }
        : await check.run(ctx);
    } catch (error) {
      outcome = fail(`could not check: ${oneLine(error)}`, 'check the credentials\' permissions and run preflight again');
    }
    if (check === checkIdentity && outcome.status === 'fail' && outcome.detail.startsWith('no usable AWS credentials')) credentialsFailed = true;
    results.push({ name: check.name, ...outcome });
    reporter.step(outcome.status, check.name, outcome.detail, outcome.fix);
  }
  const failed = results.filter((r) => r.status === 'fail');
  const warned = results.filter((r) => r.status === 'warn');
  const summary = failed.length
    ? `${failed.length} check(s) failed: ${failed.map((f) => f.name).join(', ')}`
    : `all ${results.length} checks passed${warned.length ? ` (${warned.length} warning(s))` : ''}: ready to deploy`;
  return { ok: failed.length === 0, summary, document: { checks: results } };
}

export const PREFLIGHT_SPEC: CommandSpec = {
  name: 'preflight',
  summary:
    'Check the settings, AWS identity and region, CDK bootstrap, hosted zone, certificate, the SES identity and sandbox, the container build tool, required secrets, a database storage change RDS would refuse, service quotas, the service-linked roles a fresh account lacks, the cost budget and leftovers of an earlier teardown before a deploy. Each check prints ✓/✗ with the fix; exit 1 if any failed, 2 if the settings do not parse.',
  options: { 'allow-over-budget': ALLOW_OVER_BUDGET_OPTION },
  examples: ['npm run preflight', 'npm run preflight -- --json'],
};
