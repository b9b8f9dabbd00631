import { RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';

export interface HttpsCertificateProps {
  /** The name the certificate covers, e.g. `tracker.example.com`. */
  readonly domainName: string;
  /** Public hosted zone holding the domain; DNS validation records go here. */
  readonly hostedZone: route53.IHostedZone;
  /**
   * ARN of an ACM certificate (in the stack's region) to use instead of creating one.
   * @default - a DNS-validated certificate is created in the hosted zone
   */
  readonly certificateArn?: string;
}

/**
 * The HTTPS certificate of the load balancer: imported, or issued by ACM with DNS validation.
 * A created certificate is retained when it leaves the template (switch to an imported one,
 * domain rename): the listener in the service stack still uses it until that stack has moved
 * to the new ARN, and ACM refuses to delete a certificate in use. The certificate runbook
 * deletes it afterwards.
 */
export class HttpsCertificate extends Construct {
  readonly certificate: acm.ICertificate;
  /** True when the certificate was imported by ARN (ACM renews only the ones it issued). */
  readonly imported: boolean;

  constructor(scope: Construct, id: string, props: HttpsCertificateProps) {
    super(scope, id);
    this.imported = props.certificateArn !== undefined;
    if (props.certificateArn) {
      this.certificate = acm.Certificate.fromCertificateArn(this, 'Imported', props.certificateArn);
    } else {
      const created = new acm.Certificate(this, 'Certificate', {
        domainName: props.domainName,
        validation: acm.CertificateValidation.fromDns(props.hostedZone),
      });
      created.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.certificate = created;
    }
  }
}
