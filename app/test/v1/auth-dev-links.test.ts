/**
 * Development without an email provider hands the sign-in link back in the answer. Once the
 * API listens beyond loopback, that would let anyone on the network sign in as anyone: the link
 * then goes only to clients on this machine. And the log never contains a link's token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../test/support/app.ts';
import { startPostgres, type TestPostgres } from '../../../test/support/servers.ts';
import { startApiWithLogs, tokenFromLink, type LoggedApi } from '../support/auth.ts';

let server: TestPostgres;
let api: LoggedApi;
let url: string;

beforeAll(async () => {
  server = await startPostgres();
  const databaseUrl = await server.createDatabase('devlinks');
  await migrate(databaseUrl);
  // Every interface: what HOST=0.0.0.0 does for `npm start`. The test still talks over loopback.
  api = await startApiWithLogs({ DATABASE_URL: databaseUrl, SLIPWAY_ENV: 'development', HOST: '0.0.0.0' });
  url = `http://127.0.0.1:${new URL(api.url).port}`;
});
afterAll(async () => {
  await api?.stop();
  await server?.destroy();
});

/** A request as a client at `ip` makes it: through a proxy on this machine, which loopback trusts. */
async function requestLink(email: string, ip?: string): Promise<{ status: number; body: { sent: boolean; link?: string } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (ip) headers['x-forwarded-for'] = ip;
  const res = await fetch(`${url}/api/v1/auth/magic-link`, { method: 'POST', headers, body: JSON.stringify({ email }) });
  return { status: res.status, body: (await res.json()) as { sent: boolean; link?: string } };
}

describe('development sign-in links on a server that listens beyond loopback', () => {
  it('are not handed to a client on another machine', async () => {
    const remote = await requestLink('victim@example.com', '192.0.2.44');
    expect(remote).toEqual({ status: 202, body: { sent: true } });
    const warning = api.logs().find((line) => line.ip === '192.0.2.44');
    expect(warning?.msg).toBe('sign-in link not shown to a client on another machine: set EMAIL_PROVIDER to mail links, or sign in from this machine');
  });

  it('are handed to a client on this machine', async () => {
    const local = await requestLink('me@example.com');
    expect(local.status).toBe(202);
    expect(local.body.link).toMatch(/\/auth\/verify\?token=/);
  });

  it('never appear in the log', async () => {
    const { body } = await requestLink('logged@example.com');
    const token = tokenFromLink(body.link!);
    expect(api.logText()).toContain('sign-in link returned in the response');
    expect(api.logText()).not.toContain(token);
    expect(api.logText()).not.toContain('/auth/verify?token=');
  });
});
