import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface EmailIdentityProps {
  /** Domain the app sends from, inside the hosted zone, e.g. `tracker.example.com`. */
  readonly domain: string;
  /** Custom MAIL FROM domain (bounces, SPF alignment), e.g. `mail.tracker.example.com`. */
  readonly mailFromDomain: string;
  /** Public hosted zone holding the domain: DKIM, MX and SPF records go here. */
  readonly hostedZone: route53.IHostedZone;
}

/**
 * An SES domain identity with Easy DKIM (three CNAME records) and a custom MAIL FROM
 * domain (MX and SPF records), all written to Route 53.
 */
export class EmailIdentity extends Construct {
  readonly identity: ses.EmailIdentity;

  constructor(scope: Construct, id: string, props: EmailIdentityProps) {
    super(scope, id);
    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity: ses.Identity.domain(props.domain),
      mailFromDomain: props.mailFromDomain,
      mailFromBehaviorOnMxFailure: ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
    });
    // Retained when SES_DOMAIN changes: the running tasks keep sending from the old identity
    // until the service stack has moved to the new one (the runbook deletes it afterwards).
    this.identity.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // Identity.domain() writes no records (only publicHostedZone() does, and only for the
    // zone apex); the DKIM token names are full names, so they go in as CfnRecordSets.
    const dkim = [
      [this.identity.dkimDnsTokenName1, this.identity.dkimDnsTokenValue1],
      [this.identity.dkimDnsTokenName2, this.identity.dkimDnsTokenValue2],
      [this.identity.dkimDnsTokenName3, this.identity.dkimDnsTokenValue3],
    ];
    dkim.forEach(([name, value], i) => {
      new route53.CfnRecordSet(this, `Dkim${i + 1}`, {
        hostedZoneId: props.hostedZone.hostedZoneId,
        name,
        type: 'CNAME',
        resourceRecords: [value],
        ttl: '1800',
      });
    });

    new route53.MxRecord(this, 'MailFromMx', {
      zone: props.hostedZone,
      recordName: `${props.mailFromDomain}.`,
      values: [{ priority: 10, hostName: `feedback-smtp.${Stack.of(this).region}.amazonses.com` }],
    });
    new route53.TxtRecord(this, 'MailFromSpf', {
      zone: props.hostedZone,
      recordName: `${props.mailFromDomain}.`,
      values: ['v=spf1 include:amazonses.com ~all'],
    });
  }

  /** ARN of the identity, the only resource the task role may send from. */
  get identityArn(): string {
    return this.identity.emailIdentityArn;
  }
}
