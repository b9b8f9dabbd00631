/** The Amazon RDS CA bundle in the app image, which the tasks verify the database against. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module (runs in the image build with plain node)
import { rdsCaBundle } from '../../app/rds-ca-bundle.mjs';
import { IMAGE_RDS_CA_BUNDLE } from '../outputs.ts';

const certificates = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c));
const dockerfile = readFileSync(resolve(import.meta.dirname, '../../app/Dockerfile'), 'utf8');

describe('RDS CA bundle', () => {
  const bundle = certificates(rdsCaBundle(new Date('2026-12-01T00:00:00Z')));

  it.each(['eu-west-1', 'us-east-1', 'ap-southeast-2', 'sa-east-1'])(
    'holds the root CA of the RSA2048 G1 authority the database uses, for %s',
    (region) => {
      const root = bundle.find((c) => c.subject.includes(`CN=Amazon RDS ${region} Root CA RSA2048 G1`));
      expect(root?.ca).toBe(true);
      // A root signs itself.
      expect(root?.verify(root.publicKey)).toBe(true);
    },
  );

  it('holds only CA certificates valid at build time', () => {
    expect(bundle.length).toBeGreaterThan(50);
    const now = new Date('2026-12-01T00:00:00Z');
    expect(bundle.filter((c) => !c.ca || new Date(c.validTo) <= now).map((c) => c.subject)).toEqual([]);
  });

  it('leaves out certificates that have expired', () => {
    const all = certificates(rdsCaBundle(new Date('2000-01-01T00:00:00Z')));
    expect(all.some((c) => c.subject.includes('CN=Amazon RDS eu-west-1 2019 CA'))).toBe(true);
    expect(bundle.some((c) => c.subject.includes('CN=Amazon RDS eu-west-1 2019 CA'))).toBe(false);
  });

  it('is written in the image build and copied to the path the tasks use', () => {
    expect(dockerfile).toMatch(/^RUN node app\/rds-ca-bundle\.mjs dist\/rds-ca-bundle\.pem$/m);
    expect(dockerfile).toContain(`COPY --from=build /src/dist/rds-ca-bundle.pem ${IMAGE_RDS_CA_BUNDLE}`);
  });
});
