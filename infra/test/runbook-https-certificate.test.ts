/**
 * runbooks/https-certificate.md names settings, the edge stack and its output, what the edge
 * stack does with a created certificate, and lines preflight and smoke print: each is held here
 * to the stacks and the checks, so the runbook cannot drift from them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKS } from '../../scripts/lib/cli.ts';
import { checkCertificate } from '../../scripts/lib/preflight.ts';
import { SMOKE_CHECKS } from '../../scripts/lib/smoke.ts';
import { fakeClock } from '../../scripts/lib/wait.ts';
import { quotePattern } from '../../scripts/test/support/runbook-text.ts';
import { SETTING_NAMES, type SlipwayConfig } from '../config.ts';
import { OUTPUT_KEYS, stackNames } from '../outputs.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TEXT = readFileSync(join(ROOT, 'runbooks/https-certificate.md'), 'utf8');
const PROSE = TEXT.replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
const CODE = [...TEXT.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
const SPANS = [...PROSE.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const IMPORTED = 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const NOW = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;

/** What checkCertificate says for an imported certificate ACM describes as `cert`. */
async function importedOutcome(config: SlipwayConfig, cert: object) {
  const clients = { acm: { send: async () => ({ Certificate: cert }) } };
  return checkCertificate.run({ config: { ...config, domain: { ...config.domain, certificateArn: IMPORTED } }, clients, clock: fakeClock(NOW) } as never);
}

describe('https-certificate runbook', () => {
  let created: SynthesizedApp;
  let imported: SynthesizedApp;
  beforeAll(() => {
    created = synthApp();
    imported = synthApp({ CERTIFICATE_ARN: IMPORTED });
  });
  afterAll(() => {
    created?.cleanup();
    imported?.cleanup();
  });

  it('names only settings the kit reads', () => {
    const settings = SPANS.filter((s) => /^[A-Z][A-Z0-9_]+$/.test(s) && s !== 'ISSUED');
    expect(settings).toEqual(expect.arrayContaining(['CERTIFICATE_ARN', 'DOMAIN_NAME', 'SES_DOMAIN']));
    const placeholders = [...CODE.matchAll(/<([A-Z][A-Z0-9_]+)>/g)].map((m) => m[1]!);
    expect(placeholders.length).toBeGreaterThan(0);
    expect([...settings, ...placeholders].filter((s) => !(SETTING_NAMES as readonly string[]).includes(s))).toEqual([]);
  });

  it('reads the certificate from the edge stack output it names', () => {
    expect(PROSE).toContain('edge stack output `CertificateArn`');
    expect(Object.keys(created.templates.edge.toJSON().Outputs)).toContain(OUTPUT_KEYS.certificateArn);
    expect(CODE).toContain(`--stack-name ${stackNames(created.config.appName).edge} `);
    expect(CODE).toContain(`OutputKey=='${OUTPUT_KEYS.certificateArn}'`);
  });

  it('describes what the edge stack does: a DNS-validated certificate in the hosted zone, kept when it leaves', () => {
    const certs = Object.values(created.templates.edge.findResources('AWS::CertificateManager::Certificate')) as any[];
    expect(certs).toHaveLength(1);
    expect(certs[0].Properties).toMatchObject({
      DomainName: created.config.domain.domainName,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: created.config.domain.domainName, HostedZoneId: created.config.domain.hostedZoneId }],
    });
    expect(certs[0]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(PROSE).toContain('A certificate the kit had created is **kept** when it leaves the template');
    // Imported: no certificate of the kit's own, and the listener uses the ARN as given.
    expect(imported.templates.edge.findResources('AWS::CertificateManager::Certificate')).toEqual({});
    const listeners = Object.values(imported.templates.service.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Protocol: 'HTTPS' } })) as any[];
    expect(listeners.map((l) => l.Properties.Certificates)).toEqual([[{ CertificateArn: IMPORTED }]]);
  });

  it('quotes what preflight prints for each way and for each problem it names', async () => {
    const config = created.config;
    const domain = config.domain.domainName;
    const ns = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk'];
    const dns = await checkCertificate.run({
      config,
      clients: { route53: { send: async () => ({ DelegationSet: { NameServers: ns } }) } },
      resolveNs: async () => ns,
      clock: fakeClock(NOW),
    } as never);
    const issued = await importedOutcome(config, { Status: 'ISSUED', DomainName: domain, SubjectAlternativeNames: [domain], NotAfter: new Date(NOW + 182.5 * DAY) });
    const line = (o: { detail: string }) => `${MARKS.pass} ${checkCertificate.name}: ${o.detail}`;
    const quotes = SPANS.filter((s) => s.startsWith(`${MARKS.pass} ${checkCertificate.name}: `));
    expect(quotes).toHaveLength(2);
    expect(line(dns)).toMatch(quotePattern(quotes[0]!));
    expect(line(issued)).toMatch(quotePattern(quotes[1]!));

    const problems = [
      await importedOutcome(config, { Status: 'PENDING_VALIDATION', DomainName: domain }),
      await importedOutcome(config, { Status: 'ISSUED', DomainName: 'other.example.org', SubjectAlternativeNames: [], NotAfter: new Date(NOW + 90 * DAY) }),
      await importedOutcome(config, { Status: 'ISSUED', DomainName: domain, SubjectAlternativeNames: [domain], NotAfter: new Date(NOW + 17.5 * DAY) }),
    ];
    const quoted = ['certificate status is PENDING_VALIDATION', 'the certificate covers other.example.org, not tracker.example.com', 'the certificate expires in 17 days'];
    for (const q of quoted) expect(PROSE).toContain(`\`${q}\``);
    expect(problems.map((p) => [p.status, p.detail])).toEqual(quoted.map((q) => ['fail', q]));
  });

  it('names smoke checks that exist', () => {
    const names = SMOKE_CHECKS.map((c) => c.name);
    const quoted = SPANS.map((s) => s.replace(`${MARKS.pass} `, '')).filter((s) => s.startsWith('tls: '));
    const known = (q: string) => names.some((n) => q === n || q.startsWith(`${n}: `));
    expect(quoted.length).toBeGreaterThanOrEqual(3);
    expect(quoted.filter((q) => !known(q))).toEqual([]);
  });
});
