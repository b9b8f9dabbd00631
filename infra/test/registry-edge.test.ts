import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
let custom: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  custom = synthApp({
    DEPLOY_PROFILE: 'trial',
    SES_DOMAIN: 'example.com',
    SENDER_EMAIL: 'tracker@example.com',
    MAIL_FROM_SUBDOMAIN: 'bounce',
    ECR_KEEP_RELEASES: '12',
  });
});
afterAll(() => {
  prod?.cleanup();
  custom?.cleanup();
});

const lifecycle = (app: SynthesizedApp) =>
  JSON.parse(app.templates.registry.findResources('AWS::ECR::Repository')[Object.keys(app.templates.registry.findResources('AWS::ECR::Repository'))[0]].Properties.LifecyclePolicy.LifecyclePolicyText);

describe('registry stack', () => {
  it('scans images on push and makes tags immutable', () => {
    prod.templates.registry.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'slipway',
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE',
    });
  });

  it('keeps the last N releases', () => {
    expect(lifecycle(prod).rules).toContainEqual(
      expect.objectContaining({ selection: expect.objectContaining({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }) }),
    );
    expect(lifecycle(custom).rules[1].selection.countNumber).toBe(12);
  });

  it('keeps the repository when the stack goes', () => {
    prod.templates.registry.hasResource('AWS::ECR::Repository', { DeletionPolicy: 'Retain' });
  });

  it('stands alone so images can be pushed before services exist', () => {
    expect(prod.stacks.registry.dependencies).toEqual([]);
    expect(prod.stacks.service.dependencies).toContain(prod.stacks.registry);
  });

  it('exports the repository URI', () => {
    prod.templates.registry.hasOutput('RepositoryUri', {});
  });
});

describe('edge stack', () => {
  it('creates a DNS-validated certificate in the hosted zone when none is imported', () => {
    prod.templates.edge.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'tracker.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'tracker.example.com', HostedZoneId: 'Z0123456789EXAMPLE' }],
    });
  });

  it('retains a created certificate that leaves the template, since the listener may still use it', () => {
    prod.templates.edge.hasResource('AWS::CertificateManager::Certificate', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('retains the SES identity on a domain change, so mail keeps flowing until the service stack moves', () => {
    prod.templates.edge.hasResource('AWS::SES::EmailIdentity', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('creates an SES identity for the domain with a custom MAIL FROM domain', () => {
    prod.templates.edge.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'tracker.example.com',
      MailFromAttributes: { MailFromDomain: 'mail.tracker.example.com', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    });
  });

  it('publishes the three DKIM CNAME records in Route 53', () => {
    for (const n of [1, 2, 3]) {
      prod.templates.edge.hasResourceProperties('AWS::Route53::RecordSet', {
        Type: 'CNAME',
        HostedZoneId: 'Z0123456789EXAMPLE',
        Name: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EmailIdentity'), `DkimDNSTokenName${n}`] },
        ResourceRecords: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^EmailIdentity'), `DkimDNSTokenValue${n}`] }],
      });
    }
  });

  it('publishes MX and SPF records for the MAIL FROM domain', () => {
    prod.templates.edge.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'mail.tracker.example.com.',
      Type: 'MX',
      ResourceRecords: ['10 feedback-smtp.eu-west-1.amazonses.com'],
    });
    prod.templates.edge.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'mail.tracker.example.com.',
      Type: 'TXT',
      ResourceRecords: ['"v=spf1 include:amazonses.com ~all"'],
    });
  });

  it('follows SES_DOMAIN and MAIL_FROM_SUBDOMAIN', () => {
    custom.templates.edge.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'example.com',
      MailFromAttributes: Match.objectLike({ MailFromDomain: 'bounce.example.com' }),
    });
  });

  it('imports the hosted zone by id without a lookup', () => {
    expect(JSON.stringify(prod.templates.edge.toJSON())).not.toContain('dummy');
    prod.templates.edge.resourceCountIs('AWS::Route53::HostedZone', 0);
  });
});
