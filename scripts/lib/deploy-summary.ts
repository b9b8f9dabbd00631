/**
 * The end of a successful deploy: where the app is, which release runs, and the next steps
 * still open, each checked rather than recited: the alarm subscription (SNS lists an email
 * subscription nobody confirmed yet as `PendingConfirmation`:
 * https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html), the SES
 * sandbox, the sign-in methods the running app offers (its GET /api/v1/capabilities), and a
 * personal access token for the gate's authenticated checks.
 */
import { ListSubscriptionsByTopicCommand, type SNSClient, type Subscription } from '@aws-sdk/client-sns';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SlipwayConfig } from '../../infra/config.ts';
import { oneLine, type Reporter } from './cli.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import { readSandboxStatus, sandboxOutcome } from './ses-sandbox.ts';
import type { StackOutputs } from './stacks.ts';

export interface SummaryDeps {
  readonly reporter: Reporter;
  /** @default - the alarm subscription is reported as not checked */
  readonly sns?: SNSClient;
  /** @default - the SES sandbox is reported as not checked */
  readonly ses?: SESv2Client;
  /** Reads the running app's capabilities. @default - the sign-in methods are not read */
  readonly http?: (request: HttpRequest) => Promise<HttpResponse>;
}

/** `open`: something to do; `done`: nothing left; `unknown`: could not be checked. */
export type StepState = 'open' | 'done' | 'unknown';

export interface NextStep {
  readonly name: string;
  readonly state: StepState;
  readonly detail: string;
}

export interface DeploySummary {
  readonly appUrl: string;
  readonly release: string;
  readonly nextSteps: readonly NextStep[];
}

const step = (name: string, state: StepState, detail: string): NextStep => ({ name, state, detail });

async function subscriptionsOf(sns: SNSClient, topicArn: string): Promise<Subscription[]> {
  const found: Subscription[] = [];
  let token: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }));
    found.push(...(page.Subscriptions ?? []));
    token = page.NextToken;
  } while (token);
  return found;
}

export async function alarmSubscriptionStep(config: SlipwayConfig, outputs: StackOutputs, sns: SNSClient | undefined): Promise<NextStep> {
  const name = 'alarm mail';
  const email = config.alarmEmail;
  if (!email) return step(name, 'open', 'ALARM_EMAIL is not set, so alarms reach nobody: set it and run npm run deploy again');
  const topicArn = await outputs.find('alarmTopicArn');
  if (!sns || !topicArn) return step(name, 'unknown', `could not check the subscription of ${email} (${topicArn ? 'no SNS client' : 'no AlarmTopicArn output'}): make sure the confirmation mail SNS sent was followed`);
  let subscriptions: Subscription[];
  try {
    subscriptions = await subscriptionsOf(sns, topicArn);
  } catch (error) {
    return step(name, 'unknown', `could not list the subscriptions of ${topicArn} (${oneLine(error)}): make sure the confirmation mail SNS sent to ${email} was followed`);
  }
  const mine = subscriptions.find((s) => s.Protocol === 'email' && s.Endpoint?.toLowerCase() === email.toLowerCase());
  if (!mine) return step(name, 'open', `${email} is not subscribed to ${topicArn}: check ALARM_EMAIL and run npm run deploy again`);
  if (mine.SubscriptionArn === 'PendingConfirmation') {
    return step(name, 'open', `confirm the subscription: SNS mailed ${email} a link ("AWS Notification - Subscription Confirmation"); alarms reach nobody until it is followed`);
  }
  return step(name, 'done', `${email} is subscribed to the alarms`);
}

export async function sandboxStep(config: SlipwayConfig, ses: SESv2Client | undefined): Promise<NextStep> {
  if (!ses) return step('SES sandbox', 'unknown', 'not checked (no SES client): npm run preflight says whether the account can mail anyone');
  const status = await readSandboxStatus(ses);
  const outcome = sandboxOutcome(status, config);
  const detail = outcome.fix ? `${outcome.detail}. Next: ${outcome.fix}` : outcome.detail;
  return step('SES sandbox', status.state === 'production' ? 'done' : status.state === 'unknown' ? 'unknown' : 'open', detail);
}

interface Capabilities {
  readonly signIn?: { readonly emailLink?: boolean; readonly providers?: ReadonlyArray<{ readonly name?: string }> };
}

export async function signInStep(appUrl: string, http: SummaryDeps['http']): Promise<NextStep> {
  const name = 'sign in';
  const how = `open ${appUrl}, sign in and create a workspace`;
  if (!http) return step(name, 'open', how);
  let capabilities: Capabilities;
  try {
    const res = await http({ url: new URL('/api/v1/capabilities', appUrl), timeoutMs: 10_000 });
    if (res.status !== 200) throw new Error(`GET /api/v1/capabilities answered ${res.status}`);
    capabilities = JSON.parse(res.body) as Capabilities;
  } catch (error) {
    return step(name, 'open', `${how}; could not read which sign-in methods it offers (${oneLine(error)})`);
  }
  const providers = (capabilities.signIn?.providers ?? []).map((p) => p.name).filter(Boolean);
  const methods = [
    ...(capabilities.signIn?.emailLink ? ['a link by email (in the SES sandbox only to verified addresses)'] : []),
    ...(providers.length ? [`${providers.join(' or ')} (no mail needed)`] : []),
  ];
  if (methods.length === 0) return step(name, 'open', `${how}; it offers no sign-in method yet: configure SES sending or an OAuth provider`);
  return step(name, 'open', `${how}, with ${methods.join(', or with ')}`);
}

export function smokeTokenStep(appUrl: string, smokeToken: string | undefined): NextStep {
  if (smokeToken) return step('smoke token', 'done', 'the gate ran its authenticated checks with SMOKE_TOKEN');
  return step('smoke token', 'open', `after signing in, create a personal access token under Settings → Personal access tokens at ${appUrl}, keep it as the CI secret SMOKE_TOKEN (or pass npm run deploy -- --smoke-token), so the gate runs its authenticated checks too`);
}

const MARK: Record<StepState, 'warn' | 'pass' | 'skip'> = { open: 'warn', done: 'pass', unknown: 'skip' };

/** Reads the open steps and prints them as the deploy's last lines (before its summary line). */
export async function summarizeDeploy(config: SlipwayConfig, outputs: StackOutputs, release: string, smokeToken: string | undefined, deps: SummaryDeps): Promise<DeploySummary> {
  const appUrl = (await outputs.find('appUrl')) ?? config.appUrl;
  const nextSteps = [
    await alarmSubscriptionStep(config, outputs, deps.sns),
    await sandboxStep(config, deps.ses),
    await signInStep(appUrl, deps.http),
    smokeTokenStep(appUrl, smokeToken),
  ];
  const { reporter } = deps;
  reporter.line('');
  reporter.line(`${config.appName} is live at ${appUrl}, release ${release}.`);
  const open = nextSteps.filter((s) => s.state !== 'done').length;
  reporter.line(open ? `Next steps (${open} open):` : 'Next steps: none open.');
  for (const s of nextSteps) reporter.step(MARK[s.state], s.name, s.detail);
  return { appUrl, release, nextSteps };
}
