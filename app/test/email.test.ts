/**
 * Sign-in email through every provider, for real where it can be: SMTP against an SMTP server
 * started here (STARTTLS, implicit TLS, AUTH, EHLO name, certificate checks, refusals), Amazon
 * SES through a mocked SDK client, the log provider, and no provider at all.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../test/support/app.ts';
import { freePort, startPostgres, type TestPostgres } from '../../test/support/servers.ts';
import { loadApiConfig } from '../src/config/api.ts';
import { selectEmailProvider } from '../src/email/index.ts';
import { productionSecrets, startApiWithLogs, tokenFromLink, type LoggedApi } from './support/auth.ts';

let server: TestPostgres;
let databaseUrl: string;
const running: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase('email');
  await migrate(databaseUrl);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await server?.destroy();
});

async function startApi(env: Record<string, string>): Promise<LoggedApi> {
  const api = await startApiWithLogs({ DATABASE_URL: databaseUrl, APP_URL: 'https://tracker.example.org', ...env });
  running.push(api);
  return api;
}

async function requestLink(api: LoggedApi, email: string) {
  const res = await fetch(`${api.url}/api/v1/auth/magic-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${Math.floor(Math.random() * 250) + 1}` },
    body: JSON.stringify({ email }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

interface Received {
  from: string;
  to: string[];
  raw: string;
  session: SMTPServerSession;
}

/** An SMTP server on a free loopback port that keeps what it receives. */
async function startSmtp(options: { implicitTls?: boolean; auth?: { user: string; pass: string }; rejectRcpt?: boolean } = {}) {
  const received: Received[] = [];
  const port = await freePort();
  const smtp = new SMTPServer({
    secure: options.implicitTls ?? false,
    authOptional: !options.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRcpt) {
        const error = new Error('Mailbox unavailable: relaying denied') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      return callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, session });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
  const handle = { port, received, stop: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
  running.push(handle);
  return handle;
}

/** The message body with quoted-printable soft breaks and escapes undone. */
function decoded(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('choosing a provider (first match wins)', () => {
  const base = { DATABASE_URL: 'postgres://u@127.0.0.1/db' };
  it('EMAIL_PROVIDER overrides, then SMTP_HOST, then SENDER_EMAIL alone, else none', () => {
    const pick = (env: Record<string, string>) => selectEmailProvider(loadApiConfig({ ...base, ...env }).email);
    expect(pick({ EMAIL_PROVIDER: 'log', SMTP_HOST: 'smtp.example.org', SENDER_EMAIL: 'a@example.org' })).toBe('log');
    expect(pick({ EMAIL_PROVIDER: 'ses', SMTP_HOST: 'smtp.example.org', SENDER_EMAIL: 'a@example.org' })).toBe('ses');
    expect(pick({ SMTP_HOST: 'smtp.example.org', SENDER_EMAIL: 'a@example.org' })).toBe('smtp');
    expect(pick({ SENDER_EMAIL: 'a@example.org' })).toBe('ses');
    expect(pick({})).toBeUndefined();
  });

  it('SMTP defaults: port 587 with STARTTLS; port 465 implies implicit TLS', () => {
    const smtp = (env: Record<string, string>) => loadApiConfig({ ...base, SMTP_HOST: 'smtp.example.org', SENDER_EMAIL: 'a@example.org', ...env }).email.smtp!;
    expect(smtp({})).toMatchObject({ port: 587, tls: 'starttls' });
    expect(smtp({ SMTP_PORT: '465' })).toMatchObject({ port: 465, tls: 'implicit' });
    expect(smtp({ SMTP_TLS: 'implicit' })).toMatchObject({ port: 465, tls: 'implicit' });
  });
});

describe('SMTP', () => {
  it('sends over STARTTLS with AUTH and the EHLO name: plain text and HTML, and the link signs in', async () => {
    const smtp = await startSmtp({ auth: { user: 'mailer', pass: 'smtp-pass-123' } });
    const api = await startApi({
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_USERNAME: 'mailer',
      SMTP_PASSWORD: 'smtp-pass-123',
      SMTP_TLS_INSECURE: 'true',
      SMTP_EHLO_NAME: 'api.tracker.example.org',
      SENDER_EMAIL: 'Slipway <signin@tracker.example.org>',
    });
    const res = await requestLink(api, 'Grace@Example.com');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ sent: true });

    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.from).toBe('signin@tracker.example.org');
    expect(mail.to).toEqual(['grace@example.com']);
    expect(mail.session.secure).toBe(true); // upgraded with STARTTLS
    expect(mail.session.user).toBe('mailer');
    expect(mail.session.hostNameAppearsAs).toBe('api.tracker.example.org');
    const body = decoded(mail.raw);
    expect(body).toMatch(/^Subject: Your Slipway sign-in link/m);
    expect(body).toContain('multipart/alternative');
    expect(body).toContain('Content-Type: text/plain');
    expect(body).toContain('Content-Type: text/html');
    const link = /https:\/\/tracker\.example\.org\/auth\/verify\?token=[A-Za-z0-9_-]{43}/.exec(body)![0];
    expect(body).toContain(`href="${link}"`);

    const verified = await fetch(`${api.url}/api/v1/auth/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokenFromLink(link) }) });
    expect(verified.status).toBe(200);
    expect(((await verified.json()) as { user: { email: string } }).user.email).toBe('grace@example.com');
    // The token never reaches the log.
    expect(api.logText()).not.toContain(tokenFromLink(link));
  });

  it('sends over implicit TLS', async () => {
    const smtp = await startSmtp({ implicitTls: true });
    const api = await startApi({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_TLS: 'implicit', SMTP_TLS_INSECURE: 'true', SENDER_EMAIL: 'signin@tracker.example.org' });
    expect((await requestLink(api, 'tls@example.com')).status).toBe(202);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.session.secure).toBe(true);
  });

  it('refuses an untrusted certificate unless SMTP_TLS_INSECURE: 502, the reason in the log only', async () => {
    const smtp = await startSmtp();
    const api = await startApi({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SENDER_EMAIL: 'signin@tracker.example.org' });
    const res = await requestLink(api, 'cert@example.com');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('email_provider_failed');
    expect(res.body.error.message).toContain('smtp');
    expect(res.text).not.toMatch(/certificate|at .*\.js|stack/i);
    expect(smtp.received).toHaveLength(0);
    const line = api.logs().find((l) => l.msg === 'email provider failed to send sign-in email')!;
    expect(line.provider).toBe('smtp');
    expect(String(line.reason)).toMatch(/certificate/i);
  });

  it('a refused recipient or bad credentials is a 502 with the server reply in the log', async () => {
    const smtp = await startSmtp({ rejectRcpt: true });
    const api = await startApi({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_TLS_INSECURE: 'true', SENDER_EMAIL: 'signin@tracker.example.org' });
    const res = await requestLink(api, 'nobody@example.com');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('email_provider_failed');
    const line = api.logs().find((l) => l.msg === 'email provider failed to send sign-in email')!;
    expect(String(line.reason)).toContain('550');
    expect(String(line.reason)).toContain('relaying denied');
    expect(api.logText()).not.toMatch(/token=[A-Za-z0-9_-]{43}/);

    const authed = await startSmtp({ auth: { user: 'mailer', pass: 'right' } });
    const wrong = await startApi({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(authed.port), SMTP_TLS_INSECURE: 'true', SMTP_USERNAME: 'mailer', SMTP_PASSWORD: 'wrong', SENDER_EMAIL: 'signin@tracker.example.org' });
    const denied = await requestLink(wrong, 'denied@example.com');
    expect(denied.status).toBe(502);
    expect(String(wrong.logs().find((l) => l.msg === 'email provider failed to send sign-in email')!.reason)).toMatch(/535|Invalid username/);
  });

  it('an unreachable server is a 502, and the unsent link does not stay usable', async () => {
    const closedPort = await freePort();
    const api = await startApi({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(closedPort), SENDER_EMAIL: 'signin@tracker.example.org' });
    const res = await requestLink(api, 'down@example.com');
    expect(res.status).toBe(502);
    expect(String(api.logs().find((l) => l.msg === 'email provider failed to send sign-in email')!.reason)).toMatch(/ECONNREFUSED/);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      expect((await db.query(`SELECT 1 FROM magic_links WHERE email = 'down@example.com'`)).rowCount).toBe(0);
    } finally {
      await db.end();
    }
  });
});

describe('Amazon SES', () => {
  const ses = mockClient(SESv2Client);
  afterEach(() => ses.reset());

  it('SENDER_EMAIL alone sends through SES SendEmail with text and HTML', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
    const api = await startApi({ SENDER_EMAIL: 'signin@tracker.example.org', AWS_REGION: 'eu-west-1' });
    const res = await requestLink(api, 'ses@example.com');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ sent: true });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.FromEmailAddress).toBe('signin@tracker.example.org');
    expect(input.Destination).toEqual({ ToAddresses: ['ses@example.com'] });
    expect(input.Content?.Simple?.Subject?.Data).toBe('Your Slipway sign-in link');
    expect(input.Content?.Simple?.Body?.Text?.Data).toMatch(/https:\/\/tracker\.example\.org\/auth\/verify\?token=[A-Za-z0-9_-]{43}/);
    expect(input.Content?.Simple?.Body?.Html?.Data).toContain('href="https://tracker.example.org/auth/verify?token=');
  });

  it('a rejection is a 502 with the SES reason in the log', async () => {
    const error = Object.assign(new Error('Email address is not verified. The following identities failed the check: signin@tracker.example.org'), {
      name: 'MessageRejected',
      $metadata: { httpStatusCode: 400 },
    });
    ses.on(SendEmailCommand).rejects(error);
    const api = await startApi({ SENDER_EMAIL: 'signin@tracker.example.org', AWS_REGION: 'eu-west-1', SLIPWAY_ENV: 'production', ...productionSecrets() });
    const res = await requestLink(api, 'rejected@example.com');
    expect(res.status).toBe(502);
    expect(res.body.error).toEqual({ code: 'email_provider_failed', message: expect.stringContaining('ses') });
    expect(res.text).not.toContain('not verified');
    const line = api.logs().find((l) => l.msg === 'email provider failed to send sign-in email')!;
    expect(String(line.reason)).toContain('not verified');
    expect(String(line.reason)).toContain('MessageRejected');
    expect(api.logText()).not.toMatch(/token=[A-Za-z0-9_-]{43}/);
  });
});

describe('no provider', () => {
  it('production: 503 naming the settings to set', async () => {
    const api = await startApi({ SLIPWAY_ENV: 'production', ...productionSecrets() });
    const res = await requestLink(api, 'prod@example.com');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('not_configured');
    for (const name of ['SMTP_HOST', 'SENDER_EMAIL', 'EMAIL_PROVIDER']) expect(res.body.error.message).toContain(name);
  });

  it('development: the link is in the answer, never in the log', async () => {
    const api = await startApi({ SLIPWAY_ENV: 'development' });
    const res = await requestLink(api, 'dev@example.com');
    expect(res.status).toBe(202);
    expect(res.body.link).toMatch(/^https:\/\/tracker\.example\.org\/auth\/verify\?token=/);
    expect(api.logs().some((l) => l.msg === 'no email provider configured: sign-in link returned in the response (development only)')).toBe(true);
    expect(JSON.stringify(api.logs())).not.toContain(new URL(res.body.link).searchParams.get('token'));
  });

  it('EMAIL_PROVIDER=log in production logs the email and keeps the link out of the answer', async () => {
    const api = await startApi({ SLIPWAY_ENV: 'production', EMAIL_PROVIDER: 'log', ...productionSecrets() });
    const res = await requestLink(api, 'logged@example.com');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ sent: true });
    const line = api.logs().find((l) => l.msg === 'email not sent (EMAIL_PROVIDER=log)') as { email: { to: string; text: string } };
    expect(line.email.to).toBe('logged@example.com');
    expect(line.email.text).toContain('https://tracker.example.org/auth/verify?token=');
    // The one place a credential reaches the log is announced there at start.
    expect(api.logs().filter((l) => l.level === 'warn' && String(l.msg).startsWith('EMAIL_PROVIDER=log writes every email to this log, sign-in links (credentials) included'))).toHaveLength(1);
  });
});
