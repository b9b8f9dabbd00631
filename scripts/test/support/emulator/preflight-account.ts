/**
 * An account ready for a first deploy, made through API calls to the emulator: what preflight
 * reads (CDK bootstrap, the public hosted zone, an imported certificate, the SES identity, the
 * service-linked roles) and, with `deployed`, a data stack whose outputs name strong secrets.
 *
 * moto gaps worked around here:
 * - its hosted-zone ids are 22 random capitals and digits, AWS's (and the settings') start
 *   with Z: zones are created until moto hands out such an id, the others deleted;
 * - CloudFormation needs a resource per stack: the stack carries an SSM parameter and the
 *   kit's outputs (infra/outputs.ts).
 * Not worked around (preflight must say it could not read them, never pass them): SES v2
 * GetAccount answers 404, and Service Quotas knows only the VPC quotas.
 */
import { ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateServiceLinkedRoleCommand } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { OUTPUT_KEYS, stackNames } from '../../../../infra/outputs.ts';
import type { AwsClients } from '../../../lib/aws.ts';
import { SERVICE_LINKED_ROLES } from '../../../lib/preflight-service-roles.ts';
import { makeCertificates } from '../certs.ts';
import { worldConfig, worldSettingsEnv } from './world.ts';

export const ZONE_NAME = 'example.com';

/** A public zone whose id looks like AWS's (Z...), as HOSTED_ZONE_ID must. */
export async function createAwsShapedZone(route53: Route53Client, name = ZONE_NAME): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const id = (await route53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `zone-${Date.now()}-${i}` }))).HostedZone!.Id!.replace('/hostedzone/', '');
    if (id.startsWith('Z')) return id;
    await route53.send(new DeleteHostedZoneCommand({ Id: id }));
  }
  throw new Error('moto handed out no hosted-zone id starting with Z in 2000 tries');
}

export interface PreflightAccount {
  readonly settings: Record<string, string>;
  readonly config: ReturnType<typeof worldConfig>;
}

export interface AccountOptions {
  readonly zoneId: string;
  /** Create the service-linked roles. @default true */
  readonly serviceLinkedRoles?: boolean;
  /** A data stack (from an earlier deploy) whose outputs name the app's secrets. @default true */
  readonly deployed?: boolean;
}

export async function preparePreflightAccount(clients: AwsClients, appName: string, o: AccountOptions): Promise<PreflightAccount> {
  const domain = `${appName}.${ZONE_NAME}`;
  await clients.ssm.send(new PutParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version', Value: '27', Type: 'String', Overwrite: true }));
  const certs = makeCertificates();
  let certificateArn: string;
  try {
    const { key, cert } = certs.issue(200, `DNS:${domain}`);
    certificateArn = (await clients.acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert), PrivateKey: Buffer.from(key), CertificateChain: Buffer.from(certs.ca) }))).CertificateArn!;
  } finally {
    certs.cleanup();
  }
  if (o.serviceLinkedRoles ?? true) {
    for (const r of SERVICE_LINKED_ROLES) await clients.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: r.service }));
  }
  if (o.deployed ?? true) {
    // The edge stack's identity; a fresh account has none.
    await clients.ses.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
    const secret = async (name: string, value: string) => (await clients.secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }))).ARN!;
    const outputs = {
      [OUTPUT_KEYS.sessionSecretArn]: await secret(`${appName}/app/session-secret`, 'k3J9x2Lm7Qp4Rt8Vw1Yz5Bc6Nd0Fg2Hj4Kl6Mn8'),
      [OUTPUT_KEYS.metricsTokenSecretArn]: await secret(`${appName}/app/metrics-token`, 'q8W3e5R7t9Y1u2I4o6P8a0S2d4F6g8H0j2K4'),
      [OUTPUT_KEYS.credentialsKeySecretArn]: await secret(`${appName}/app/credentials-encryption-key`, 'Zx7Cv5Bn3Mq1Wr9Ty7Ui5Op3As1Df9Gh7Jk5'),
    };
    await clients.cfn.send(new CreateStackCommand({
      StackName: stackNames(appName).data,
      TemplateBody: JSON.stringify({
        Resources: { Marker: { Type: 'AWS::SSM::Parameter', Properties: { Name: `/${appName}/emulator/data`, Type: 'String', Value: 'deployed' } } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
      }),
    }));
  }
  const given = { HOSTED_ZONE_ID: o.zoneId, HOSTED_ZONE_NAME: ZONE_NAME, DOMAIN_NAME: domain, CERTIFICATE_ARN: certificateArn, ALARM_EMAIL: 'ops@example.com' };
  return { settings: worldSettingsEnv(appName, given), config: worldConfig(appName, given) };
}
