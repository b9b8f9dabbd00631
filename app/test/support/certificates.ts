/**
 * A throwaway certificate authority for TLS tests, made with the openssl command line: a CA
 * certificate, and server certificates it signs for the names given.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  /** The CA certificate (PEM): what a client trusts. */
  readonly certificate: string;
  /** A server certificate (PEM) and key for the given subject alternative names. */
  issue(names: { readonly ip?: string[]; readonly dns?: string[] }): { certificate: string; key: string };
  destroy(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl was not found: apt-get install -y openssl');
    throw new Error(`openssl ${args[0]} failed: ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
  }
}

export function createTestCa(name: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-ca-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${name}`], dir);
  let serial = 0;
  return {
    certificate: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    issue({ ip = [], dns = [] }) {
      const id = `server${serial++}`;
      const altNames = [...ip.map((a) => `IP:${a}`), ...dns.map((d) => `DNS:${d}`)].join(',');
      writeFileSync(join(dir, `${id}.ext`), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${dns[0] ?? ip[0]}`], dir);
      openssl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${id}.crt`, '-days', '2', '-extfile', `${id}.ext`], dir);
      return { certificate: readFileSync(join(dir, `${id}.crt`), 'utf8'), key: readFileSync(join(dir, `${id}.key`), 'utf8') };
    },
    destroy: () => rmSync(dir, { recursive: true, force: true }),
  };
}
