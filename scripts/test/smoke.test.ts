import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../lib/cli.ts';
import { runSmoke, type SmokeOptions, type SmokeReport } from '../lib/smoke.ts';
import { SMOKE_SPEC, smokeOptionsFromFlags } from '../lib/smoke-command.ts';
import { fakeClock } from '../lib/wait.ts';
import { makeCertificates, type TestCertificates } from './support/certs.ts';
import { HEALTHY, startFakeApp, type FakeApp, type FakeAppBehaviour } from './support/fake-app.ts';

let certs: TestCertificates;
let app: FakeApp | undefined;

beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.cleanup());
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function gate(
  behaviour: Partial<FakeAppBehaviour> = {},
  options: Partial<SmokeOptions> = {},
  tls?: { key: string; cert: string },
): Promise<SmokeReport> {
  app = await startFakeApp(behaviour, tls);
  return runSmoke(
    {
      baseUrl: app.baseUrl,
      metricsToken: HEALTHY.metricsToken,
      token: HEALTHY.token,
      expectRelease: 'r-new',
      timeoutMs: 20_000,
      httpPort: app.httpPort,
      ca: certs.ca,
      firstEventMs: 500,
      ...options,
    },
    { clock: fakeClock(Date.now()) },
  );
}

function check(report: SmokeReport, prefix: string) {
  const found = report.checks.find((c) => c.name.startsWith(prefix));
  if (!found) throw new Error(`no check ${prefix}`);
  return found;
}

describe('smoke gate against a healthy local app', () => {
  it('passes every check over http and skips the https-only ones', async () => {
    const report = await gate();
    expect(report.failed).toEqual([]);
    expect(report.ok).toBe(true);
    expect(check(report, 'tls: certificate').status).toBe('skip');
    expect(check(report, 'api: event stream').detail).toBe('workspace eng: first event "ready"');
    expect(report.version?.release).toBe('r-new');
    for (const c of report.checks) expect(c.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes every check over https with a valid certificate and a 301 redirect', async () => {
    const report = await gate({}, {}, certs.issue(90));
    expect(report.failed).toEqual([]);
    expect(check(report, 'tls: certificate').detail).toMatch(/^trusted, covers 127\.0\.0\.1, (89|90) days left$/);
    expect(check(report, 'tls: http://').detail).toMatch(/^301 to https:\/\/127\.0\.0\.1:\d+\/api\/health\?smoke=redirect$/);
  });

  it('retries a service that is still starting and then passes', async () => {
    const report = await gate({ readyFailuresFirst: 3 });
    expect(report.ok).toBe(true);
    expect(check(report, 'ready').attempts).toBe(4);
  });

  it('retries a 502 from the load balancer and accepts a heartbeat as the first sign of life', async () => {
    const report = await gate({ badGatewayFirst: 2, heartbeatFirst: true });
    expect(report.ok).toBe(true);
    expect(check(report, 'web')).toMatchObject({ status: 'pass', attempts: 3 });
    expect(check(report, 'api: event stream').detail).toBe('workspace eng: first event "heartbeat"');
  });

  it('reports the event stream as skipped, not failed, when the token sees no workspace', async () => {
    const report = await gate({ workspaces: [] });
    expect(report.ok).toBe(true);
    expect(check(report, 'api: event stream')).toMatchObject({
      status: 'skip',
      detail: 'the token sees no workspace, so there is no stream to open (pass --workspace SLUG)',
    });
  });
});

describe('smoke gate catches broken variants', () => {
  it('readyz 503: fails at the deadline naming the failing check', async () => {
    const report = await gate({ readyStatus: 503 }, { timeoutMs: 5_000 });
    expect(report.ok).toBe(false);
    const ready = check(report, 'ready');
    expect(ready.status).toBe('fail');
    expect(ready.detail).toMatch(/^still failing at the deadline after \d+ attempt\(s\): not ready: db \(connection refused\)$/);
    expect(ready.attempts).toBeGreaterThan(1);
  });

  it('readyz 503, then no answer in time: the failure still names what the app answered', async () => {
    const report = await gate({ readyStatus: 503, readyAnswers: 2 }, { timeoutMs: 5_000 });
    const ready = check(report, 'ready');
    expect(ready.status).toBe('fail');
    expect(ready.detail).toMatch(/^still failing at the deadline after \d+ attempt\(s\): .*\(TIMEOUT\) \(before that: not ready: db \(connection refused\)\)$/);
  });

  it('wrong release: fails at once without retrying', async () => {
    const report = await gate({ release: 'r-old' });
    const version = check(report, 'version');
    expect(version).toMatchObject({ status: 'fail', attempts: 1, detail: 'release is "r-old", expected "r-new"' });
    expect(report.ok).toBe(false);
  });

  it('metrics open without a token: fails', async () => {
    const report = await gate({ metricsOpen: true });
    expect(check(report, 'metrics: refused')).toMatchObject({
      status: 'fail',
      detail: '/api/metrics with no token answered 200, expected 401 or 404: metrics are open to anyone',
    });
  });

  it('a metrics token the app does not accept: fails', async () => {
    const report = await gate({}, { metricsToken: 'not-the-token' });
    expect(check(report, 'metrics: 200').detail).toBe('/api/metrics with the token answered 401, expected 200');
  });

  it('no HTTP to HTTPS redirect: fails', async () => {
    const report = await gate({ noRedirect: true }, {}, certs.issue(90));
    expect(check(report, 'tls: http://')).toMatchObject({ status: 'fail' });
    expect(check(report, 'tls: http://').detail).toMatch(/^http:\/\/127\.0\.0\.1:\d+ answered 200, expected 301 to https$/);
  });

  it('an expired certificate: fails the certificate check', async () => {
    const report = await gate({}, {}, certs.issue(-1));
    const tls = check(report, 'tls: certificate');
    expect(tls.status).toBe('fail');
    expect(tls.detail).toMatch(/^the certificate has expired \(valid until \d{4}-/);
    expect(report.ok).toBe(false);
  });

  it('a certificate expiring within 14 days: fails', async () => {
    const report = await gate({}, {}, certs.issue(5));
    expect(check(report, 'tls: certificate').detail).toMatch(/^the certificate expires in [45] days .*, under 14$/);
  });

  it('a certificate for another host: fails', async () => {
    const report = await gate({}, {}, certs.issue(90, 'DNS:other.example.com'));
    expect(check(report, 'tls: certificate').detail).toMatch(/^the certificate (does not cover 127\.0\.0\.1|is not trusted: ERR_TLS_CERT_ALTNAME_INVALID)/);
  });

  it('a web page that is not HTML: fails', async () => {
    const report = await gate({ webContentType: 'application/json' });
    expect(check(report, 'web').detail).toBe('GET / answered content-type application/json, expected text/html');
  });

  it('a refused token: fails the authenticated call', async () => {
    const report = await gate({}, { token: 'pat_wrong' });
    expect(check(report, 'api: authenticated').detail).toBe('the token was refused (401)');
  });

  it('an event stream that stays silent: fails', async () => {
    const report = await gate({ silentEvents: true });
    expect(check(report, 'api: event stream').detail).toBe('the stream opened but sent nothing within 1s');
  });

  it('an event stream that ends before its first event: fails, saying it closed', async () => {
    const report = await gate({ eventsEndAtOnce: true });
    expect(check(report, 'api: event stream')).toMatchObject({ status: 'fail', detail: 'the stream closed before its first event' });
    expect(report.ok).toBe(false);
  });

  it('nothing listening: fails every check after retrying until the deadline', async () => {
    app = await startFakeApp();
    const url = app.baseUrl;
    await app.close();
    app = undefined;
    const report = await runSmoke({ baseUrl: url, timeoutMs: 3_000 }, { clock: fakeClock(Date.now()) });
    expect(report.ok).toBe(false);
    expect(check(report, 'ready').detail).toMatch(/still failing at the deadline after \d+ attempt\(s\): .*ECONNREFUSED/);
  });
});

describe('smoke flags', () => {
  const base = ['--base-url', 'https://tracker.example.com'];

  it.each([
    [['--token', 'oops-not-a-pat'], '--token must be a personal access token starting with pat_ (create one under your profile)'],
    // a URL ignores a port over 65535, so the redirect check would probe port 80 instead
    [['--http-port', '70000'], '--http-port must be a port number from 1 to 65535, got "70000"'],
    [['--http-port', '0'], '--http-port must be a port number from 1 to 65535, got "0"'],
    [['--http-port', 'eighty'], '--http-port must be a port number from 1 to 65535, got "eighty"'],
  ])('%j is refused', (argv, message) => {
    expect(() => smokeOptionsFromFlags(parseFlags(SMOKE_SPEC, [...base, ...argv]))).toThrow(new UsageError(message));
  });

  it('takes the highest port', () => {
    expect(smokeOptionsFromFlags(parseFlags(SMOKE_SPEC, [...base, '--http-port', '65535'])).httpPort).toBe(65_535);
  });
});
