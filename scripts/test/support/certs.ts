/** Throwaway certificates for the smoke tests, made with the openssl command line. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM of the test CA, to pass as the smoke gate's extra CA. */
  readonly ca: string;
  /** Key and certificate for 127.0.0.1 / localhost, valid for `days` (negative: already expired). */
  issue(days: number, names?: string): { key: string; cert: string };
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'smoke-certs-'));
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Smoke Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=keyCertSign,cRLSign']);
  let serial = 0;
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    issue(days, names = 'IP:127.0.0.1,DNS:localhost') {
      serial += 1;
      const base = `leaf${serial}`;
      writeFileSync(join(dir, `${base}.ext`), `subjectAltName=${names}\n`);
      openssl(dir, ['req', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', '/CN=smoke-test']);
      openssl(dir, ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
        '-out', `${base}.pem`, '-days', String(days), '-extfile', `${base}.ext`]);
      return { key: readFileSync(join(dir, `${base}.key`), 'utf8'), cert: readFileSync(join(dir, `${base}.pem`), 'utf8') };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
