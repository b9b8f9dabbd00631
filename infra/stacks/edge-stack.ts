import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { SlipwayConfig } from '../config.ts';
import { EmailIdentity } from '../constructs/email-identity.ts';
import { HttpsCertificate } from '../constructs/https-certificate.ts';
import { OUTPUT_KEYS } from '../outputs.ts';

export interface EdgeStackProps extends StackProps {
  readonly config: SlipwayConfig;
}

/** The certificate and the SES sending identity with its DNS records. */
export class EdgeStack extends Stack {
  readonly certificate: acm.ICertificate;
  readonly emailIdentity: EmailIdentity;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.domain.hostedZoneId,
      zoneName: config.domain.hostedZoneName,
    });
    this.certificate = new HttpsCertificate(this, 'Https', {
      domainName: config.domain.domainName,
      hostedZone,
      certificateArn: config.domain.certificateArn,
    }).certificate;
    this.emailIdentity = new EmailIdentity(this, 'Email', {
      domain: config.email.sesDomain,
      mailFromDomain: config.email.mailFromDomain,
      hostedZone,
    });
    new CfnOutput(this, OUTPUT_KEYS.certificateArn, { value: this.certificate.certificateArn });
    new CfnOutput(this, OUTPUT_KEYS.sesIdentityName, { value: this.emailIdentity.identity.emailIdentityName });
  }
}
