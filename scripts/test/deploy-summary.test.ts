/**
 * The end of a deploy: URL, release and the next steps still open, each checked: the alarm
 * subscription (SNS), the SES sandbox, the sign-in methods the app offers (a real HTTP server
 * here), the smoke token. The subscription is also read from the emulator's SNS.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorClientConfig, startMoto, type MotoServer } from '../../test/support/moto.ts';
import { Reporter } from '../lib/cli.ts';
import { deploy } from '../lib/deploy.ts';
import { alarmSubscriptionStep, sandboxStep, signInStep, smokeTokenStep, summarizeDeploy } from '../lib/deploy-summary.ts';
import { httpRequest } from '../lib/http.ts';
import { StackOutputs } from '../lib/stacks.ts';
import { makeWorld, REGION, testConfig } from './support/world.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:slipway-alarms';
const config = testConfig({ ALARM_EMAIL: 'ops@example.com' });
const cfn = new CloudFormationClient({ region: REGION });
const sns = new SNSClient({ region: REGION });
const ses = new SESv2Client({ region: REGION });
const m = { cfn: mockClient(cfn), sns: mockClient(sns), ses: mockClient(ses) };

beforeEach(() => {
  Object.values(m).forEach((x) => x.reset());
  m.cfn.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => ({
    Stacks: [{ StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), Outputs: StackName === 'slipway-observability' ? [{ OutputKey: 'AlarmTopicArn', OutputValue: TOPIC }] : [{ OutputKey: 'AppUrl', OutputValue: 'https://tracker.example.com' }] }],
  }));
  m.ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true });
});

const outputs = () => new StackOutputs(cfn, 'slipway');
const subscription = (SubscriptionArn: string, Endpoint = 'ops@example.com') => ({ SubscriptionArn, Endpoint, Protocol: 'email', TopicArn: TOPIC, Owner: '123456789012' });

describe('the alarm subscription', () => {
  it('an unconfirmed email subscription is an open step saying to follow the mail', async () => {
    m.sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [subscription('PendingConfirmation')] });
    expect(await alarmSubscriptionStep(config, outputs(), sns)).toEqual({
      name: 'alarm mail', state: 'open',
      detail: 'confirm the subscription: SNS mailed ops@example.com a link ("AWS Notification - Subscription Confirmation"); alarms reach nobody until it is followed',
    });
  });

  it('a confirmed one is done, found on a later page and whatever the case of the address', async () => {
    m.sns.on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC, NextToken: undefined }).resolves({ Subscriptions: [subscription(`${TOPIC}:1`, 'someone@example.com')], NextToken: 'p2' });
    m.sns.on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC, NextToken: 'p2' }).resolves({ Subscriptions: [subscription(`${TOPIC}:2`, 'Ops@Example.com')] });
    expect(await alarmSubscriptionStep(config, outputs(), sns)).toMatchObject({ state: 'done', detail: 'ops@example.com is subscribed to the alarms' });
  });

  it('no ALARM_EMAIL, no subscription, or an unreadable topic each say so', async () => {
    expect((await alarmSubscriptionStep(testConfig(), outputs(), sns)).detail).toBe('ALARM_EMAIL is not set, so alarms reach nobody: set it and run npm run deploy again');
    m.sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    expect(await alarmSubscriptionStep(config, outputs(), sns)).toMatchObject({ state: 'open', detail: `ops@example.com is not subscribed to ${TOPIC}: check ALARM_EMAIL and run npm run deploy again` });
    m.sns.on(ListSubscriptionsByTopicCommand).rejects(Object.assign(new Error('not authorized to perform: SNS:ListSubscriptionsByTopic'), { name: 'AuthorizationErrorException' }));
    expect(await alarmSubscriptionStep(config, outputs(), sns)).toMatchObject({ state: 'unknown', detail: `could not list the subscriptions of ${TOPIC} (not authorized to perform: SNS:ListSubscriptionsByTopic): make sure the confirmation mail SNS sent to ops@example.com was followed` });
  });
});

describe('the SES sandbox', () => {
  it('production access is done, the sandbox is open, an unreadable status could not be checked', async () => {
    expect((await sandboxStep(config, ses)).state).toBe('done');
    m.ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false });
    expect((await sandboxStep(config, ses)).state).toBe('open');
    m.ses.on(GetAccountCommand).rejects(Object.assign(new Error('User is not authorized to perform: ses:GetAccount'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    expect(await sandboxStep(config, ses)).toMatchObject({ state: 'unknown', detail: expect.stringMatching(/^could not read whether the account is in the SES sandbox/) });
  });
});

describe('signing in', () => {
  let server: http.Server;
  let answer: { status: number; body: unknown };
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(req.url === '/api/v1/capabilities' ? answer.status : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('names the methods the running app offers', async () => {
    answer = { status: 200, body: { signIn: { emailLink: true, providers: [{ id: 'github', name: 'GitHub', startUrl: '/api/v1/auth/oauth/github/start' }] }, attachments: { enabled: true, maxBytes: 1 } } };
    expect((await signInStep(base, httpRequest)).detail).toBe(`open ${base}, sign in and create a workspace, with a link by email (in the SES sandbox only to verified addresses), or with GitHub (no mail needed)`);
  });

  it('says when the app offers no method, or could not be asked', async () => {
    answer = { status: 200, body: { signIn: { emailLink: false, providers: [] } } };
    expect((await signInStep(base, httpRequest)).detail).toBe(`open ${base}, sign in and create a workspace; it offers no sign-in method yet: configure SES sending or an OAuth provider`);
    answer = { status: 503, body: {} };
    expect((await signInStep(base, httpRequest)).detail).toBe(`open ${base}, sign in and create a workspace; could not read which sign-in methods it offers (GET /api/v1/capabilities answered 503)`);
  });

  it('the smoke token step says how to make one, or that the gate had it', () => {
    expect(smokeTokenStep('https://t.example.com', undefined)).toMatchObject({ state: 'open', detail: 'after signing in, create a personal access token under Settings → Personal access tokens at https://t.example.com, keep it as the CI secret SMOKE_TOKEN (or pass npm run deploy -- --smoke-token), so the gate runs its authenticated checks too' });
    expect(smokeTokenStep('https://t.example.com', 'pat_x').state).toBe('done');
  });
});

describe('the last lines of a deploy', () => {
  it('print the URL, the release and the open steps, and put them in the JSON', async () => {
    m.ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendQuota: { Max24HourSend: 200 } });
    const world = makeWorld();
    // Rolling, as deploy.test.ts's first case; the world's deps read the assembly through a getter, so extend them in place.
    Object.assign(world.deps, { sns, ses });
    const result = await deploy({ config: testConfig({ ALARM_EMAIL: 'ops@example.com', DEPLOY_STRATEGY: 'rolling' }), dryRun: false, allowDirty: false, allowStatefulReplacement: false, autoRollback: true, timeouts: { deployMs: 3_600_000, stableMs: 600_000, smokeMs: 120_000 } }, world.deps);
    expect(result.ok).toBe(true);
    const lines = world.out.join('').trimEnd().split('\n');
    const start = lines.findIndex((l) => l === 'slipway is live at https://tracker.example.com, release bbbbbbbbbbbb.');
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(start + 1).filter((l) => !l.startsWith('    fix'))).toEqual([
      'Next steps (4 open):',
      // This world has no observability stack, so no topic to read.
      '- alarm mail: could not check the subscription of ops@example.com (no AlarmTopicArn output): make sure the confirmation mail SNS sent was followed',
      expect.stringMatching(/^! SES sandbox: the account is in the SES sandbox in eu-west-1\. What works now: .*\. Next: request production access: aws sesv2 put-account-details /),
      '! sign in: open https://tracker.example.com, sign in and create a workspace',
      expect.stringMatching(/^! smoke token: after signing in, create a personal access token/),
    ]);
    expect((result.document.nextSteps as Array<{ name: string; state: string }>).map((s) => `${s.name} ${s.state}`)).toEqual(['alarm mail unknown', 'SES sandbox open', 'sign in open', 'smoke token open']);
  });

  it('with everything in place, only signing in is left', async () => {
    m.sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [subscription(`${TOPIC}:abc`)] });
    const out: string[] = [];
    const summary = await summarizeDeploy(config, outputs(), 'r1', 'pat_x', { sns, ses, reporter: new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) } }) });
    expect(summary.nextSteps.filter((s) => s.state !== 'done').map((s) => s.name)).toEqual(['sign in']);
    expect(out.join('')).toContain('Next steps (1 open):\n✓ alarm mail: ops@example.com is subscribed to the alarms\n✓ SES sandbox: production access in eu-west-1: sign-in mail reaches any address\n');
  });
});

describe('the alarm subscription against the emulator', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('reads the topic\'s subscriptions from SNS (moto confirms email subscriptions at once)', async () => {
    const real = new SNSClient(emulatorClientConfig(moto.endpoint));
    const topic = (await real.send(new CreateTopicCommand({ Name: 'slipway-alarms' }))).TopicArn!;
    await real.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'email', Endpoint: 'ops@example.com' }));
    const realOutputs = { find: async () => topic } as unknown as StackOutputs;
    expect(await alarmSubscriptionStep(config, realOutputs, real)).toEqual({ name: 'alarm mail', state: 'done', detail: 'ops@example.com is subscribed to the alarms' });
  });
});
