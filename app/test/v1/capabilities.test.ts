/**
 * GET /api/v1/capabilities tells clients what this server offers before they offer it: the
 * sign-in methods and whether attachments are stored. What is off and the settings that turn
 * it on go to the server log, never into an answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionSecrets, startApiWithLogs, type LoggedApi } from '../support/auth.ts';
import { APP_URL, startServers, type Servers } from './workspaces-harness.ts';

let servers: Servers;
const running: LoggedApi[] = [];

beforeAll(async () => {
  servers = await startServers({ prefix: 'capabilities' });
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await servers?.stop();
});

async function capabilitiesOf(env: Record<string, string>) {
  const api = await startApiWithLogs({ APP_URL, DATABASE_URL: servers.databaseUrl, ...env });
  running.push(api);
  const res = await fetch(`${api.url}/api/v1/capabilities`);
  return { api, status: res.status, text: await res.text() };
}

describe('GET /api/v1/capabilities', () => {
  it('without S3: attachments are off, the answer names no setting, and the log says which ones turn them on', async () => {
    const { api, status, text } = await capabilitiesOf({});
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({
      signIn: { emailLink: true, providers: [] },
      attachments: { enabled: false, maxBytes: 26_214_400 },
    });
    expect(text).not.toMatch(/S3_|AWS_/);
    const line = api.logs().find((l) => String(l.msg).startsWith('attachments are off'));
    expect(line?.msg).toContain('S3_BUCKET and AWS_REGION');
  });

  it('with S3 configured: attachments are on, with the size limit', async () => {
    const { status, text } = await capabilitiesOf({ S3_BUCKET: 'files', AWS_REGION: 'eu-west-1', ATTACHMENT_MAX_BYTES: '1048576' });
    expect(status).toBe(200);
    expect(JSON.parse(text).attachments).toEqual({ enabled: true, maxBytes: 1_048_576 });
  });

  it('production without an email provider: no email links, only the configured OAuth providers', async () => {
    const { text } = await capabilitiesOf({
      SLIPWAY_ENV: 'production',
      ...productionSecrets(),
      GITHUB_CLIENT_ID: 'Ov23liAbCdEf0123',
      GITHUB_CLIENT_SECRET: '3f7c9a1e5b2d8f4a6c0e9b7d5f3a1c8e2b4d6f80',
    });
    expect(JSON.parse(text).signIn).toEqual({ emailLink: false, providers: [{ id: 'github', name: 'GitHub', startUrl: '/api/v1/auth/oauth/github/start' }] });
    expect(text).not.toContain('3f7c9a1e');
  });
});
