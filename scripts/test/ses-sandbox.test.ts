/**
 * The SES sandbox check: production access passes; the sandbox warns with what works now and
 * how to leave it; an account status that cannot be read warns that it could not, never passes.
 * The last case also runs against the emulator, whose GetAccount answers 404.
 */
import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorClientConfig, startMoto, type MotoServer } from '../../test/support/moto.ts';
import { productionAccessRequest, readSandboxStatus, sandboxOutcome } from '../lib/ses-sandbox.ts';
import { REGION, testConfig } from './support/world.ts';

const config = testConfig();
const ses = new SESv2Client({ region: REGION });
const m = mockClient(ses);
beforeEach(() => m.reset());

const outcome = async () => sandboxOutcome(await readSandboxStatus(ses), config);
const REQUEST = 'aws sesv2 put-account-details --production-access-enabled --mail-type TRANSACTIONAL --website-url https://tracker.example.com --use-case-description "Sign-in links for the team\'s issue tracker, sent only to people who ask for one" --region eu-west-1 (about a day; https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html)';
const WORKS = 'sign-in mail reaches only verified addresses (verify each one: aws sesv2 create-email-identity --email-identity person@example.com --region eu-west-1, then the person follows the link AWS mails), at most 200 a day; sign-in with GitHub or Google (OAuth) needs no mail once its client is configured';

describe('SES sandbox check', () => {
  it('production access passes', async () => {
    m.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true, SendQuota: { Max24HourSend: 50000 } });
    expect(await outcome()).toEqual({ status: 'pass', detail: 'production access in eu-west-1: sign-in mail reaches any address' });
  });

  it('the sandbox warns with what works now and the request for production access', async () => {
    m.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendQuota: { Max24HourSend: 200, MaxSendRate: 1 } });
    expect(await outcome()).toEqual({
      status: 'warn',
      detail: `the account is in the SES sandbox in eu-west-1. What works now: ${WORKS}`,
      fix: `request production access: ${REQUEST}`,
    });
    expect(productionAccessRequest(config)).toBe(REQUEST);
  });

  it('a request under review says so and to wait, with the case', async () => {
    m.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendQuota: { Max24HourSend: 200 }, Details: { ReviewDetails: { Status: 'PENDING', CaseId: '1234567890' } } });
    expect(await outcome()).toMatchObject({
      status: 'warn',
      detail: `the account is in the SES sandbox in eu-west-1; production access was requested and AWS is reviewing it (case 1234567890). What works now: ${WORKS}`,
      fix: 'wait for the review (about a day); https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html',
    });
  });

  it('a denied request says what to do', async () => {
    m.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, Details: { ReviewDetails: { Status: 'DENIED', CaseId: '42' } } });
    const o = await outcome();
    expect(o.detail).toContain('a request for production access was denied: answer the case in the Support Center or ask again with a fuller use case (case 42)');
    expect(o.fix).toBe(`request production access: ${REQUEST}`);
  });

  it('access denied is "could not read", a warning that assumes the sandbox', async () => {
    m.on(GetAccountCommand).rejects(Object.assign(new Error('User is not authorized to perform: ses:GetAccount'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    expect(await outcome()).toEqual({
      status: 'warn',
      detail: `could not read whether the account is in the SES sandbox (GetAccount failed with HTTP 403: AccessDeniedException: User is not authorized to perform: ses:GetAccount); until you know, assume it is: ${WORKS}`,
      fix: `grant ses:GetAccount and run preflight again, or check the SES console's account dashboard in eu-west-1; to leave the sandbox: ${REQUEST}`,
    });
  });

  it('an answer without the flag is "could not read", not production', async () => {
    m.on(GetAccountCommand).resolves({});
    expect(await outcome()).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^could not read whether the account is in the SES sandbox \(GetAccount did not say whether production access is enabled\)/) });
  });
});

describe('SES sandbox check against the emulator', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('moto answers GetAccount with 404: reported as could not read, never as production access', async () => {
    const real = new SESv2Client({ ...emulatorClientConfig(moto.endpoint), maxAttempts: 1 });
    const o = sandboxOutcome(await readSandboxStatus(real), config);
    expect(o.status).toBe('warn');
    expect(o.detail).toMatch(/^could not read whether the account is in the SES sandbox \(GetAccount answered with HTTP 404, and not in SES's format: this endpoint has no SES v2 account API\); until you know, assume it is: /);
  });
});
