/**
 * `npm start` with no settings (but the CLI's SLIPWAY_API_URL exported): embedded PostgreSQL in
 * a data folder, migrations, api and web listening on loopback only, readiness 200 through the
 * web server; and the data survives a restart.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForHttp, type AppProcess } from '../../test/support/app.ts';
import { freePort } from '../../test/support/servers.ts';
import { spawnNpmStart } from './support/npm-start.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-local-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * The local addresses that listen on `port`, read from the kernel's socket tables (no traffic
 * needed): e.g. ['127.0.0.1'] or ['0.0.0.0', '::'].
 */
function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':') as [string, string];
      if (parseInt(portHex, 16) !== port) continue;
      // The kernel prints each 32-bit word of the address in host (little-endian) order.
      const bytes = hex.match(/.{8}/g)!.flatMap((word) => word.match(/../g)!.reverse().map((b) => parseInt(b, 16)));
      addresses.push(bytes.length === 4 ? bytes.join('.') : ipv6(bytes));
    }
  }
  return addresses;
}

function ipv6(bytes: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

async function npmStart(): Promise<{ process: AppProcess; webUrl: string; ports: { web: number; api: number } }> {
  const [web, api, db] = [await freePort(), await freePort(), await freePort()];
  // Only what a fresh machine has: no DATABASE_URL, no REDIS_URL. SLIPWAY_API_URL is exported
  // as the README tells CLI users: it must not become the web server's upstream (the web
  // server would forward /api to itself).
  const process_ = spawnNpmStart({
    WEB_PORT: String(web),
    API_PORT: String(api),
    SLIPWAY_EMBEDDED_DB_PORT: String(db),
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_API_URL: `http://localhost:${web}`,
  });
  return { process: process_, webUrl: `http://127.0.0.1:${web}`, ports: { web, api } };
}

describe('npm start', () => {
  // Two starts from source (initdb, migrations, two servers) on two busy cores took over 60 s.
  it('serves the app on the embedded database with readiness 200, and keeps data across restarts', async () => {
    const first = await npmStart();
    try {
      await waitForHttp(`${first.webUrl}/api/readyz`, 120_000, first.process);
      // Nobody else on the network can reach it: development answers hand out sign-in links.
      expect(listeningAddresses(first.ports.web)).toEqual(['127.0.0.1']);
      expect(listeningAddresses(first.ports.api)).toEqual(['127.0.0.1']);
      expect(first.process.output()).toContain('Only this machine can connect');
      const ready = (await (await fetch(`${first.webUrl}/api/readyz`)).json()) as any;
      expect(ready).toMatchObject({ status: 'ok', checks: { db: { ok: true }, migrations: { ok: true } } });
      expect(ready.checks.redis).toBeUndefined();
      expect(first.process.output()).toContain(`Slipway is running: open http://localhost:`);
    } finally {
      await first.process.stop();
    }
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    const second = await npmStart();
    try {
      await waitForHttp(`${second.webUrl}/api/readyz`, 120_000, second.process);
      expect(second.process.output()).toContain('database is up to date; nothing to apply');
    } finally {
      await second.process.stop();
    }
  }, 300_000);
});
