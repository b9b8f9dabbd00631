/**
 * Whether the account can mail anyone yet. A new account is in the SES sandbox in each region:
 * mail goes only to verified addresses and domains, at most 200 a day and 1 a second, until AWS
 * grants production access, which takes about a day
 * (https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html). SES v2 GetAccount
 * says so in `ProductionAccessEnabled`, and the review of a request in `Details.ReviewDetails`
 * (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html).
 */
import { GetAccountCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { SlipwayConfig } from '../../infra/config.ts';
import { oneLine } from './cli.ts';
import type { CheckOutcome, PreflightCheck } from './preflight.ts';

export const PRODUCTION_ACCESS_DOC = 'https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html';

export type SandboxStatus =
  | { readonly state: 'production' }
  | { readonly state: 'sandbox'; readonly review?: string; readonly caseId?: string; readonly max24HourSend?: number }
  | { readonly state: 'unknown'; readonly reason: string };

/** Reads the account's SES status; an error (no permission, an emulator without the API) is `unknown`, never production. */
export async function readSandboxStatus(ses: SESv2Client): Promise<SandboxStatus> {
  let account;
  try {
    account = await ses.send(new GetAccountCommand({}));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const http = status ? ` with HTTP ${status}` : '';
    // The SDK could not read the body as an SES answer: not AWS's own error (an emulator, a proxy).
    if ((error as Error).name === 'SyntaxError') return { state: 'unknown', reason: `GetAccount answered${http}, and not in SES's format: this endpoint has no SES v2 account API` };
    return { state: 'unknown', reason: `GetAccount failed${http}: ${(error as Error).name}: ${oneLine(error)}` };
  }
  if (account?.ProductionAccessEnabled === true) return { state: 'production' };
  if (account?.ProductionAccessEnabled !== false) return { state: 'unknown', reason: 'GetAccount did not say whether production access is enabled' };
  const review = account.Details?.ReviewDetails;
  return { state: 'sandbox', review: review?.Status, caseId: review?.CaseId, max24HourSend: account.SendQuota?.Max24HourSend };
}

/** What works while in the sandbox, in one sentence. */
export function whatWorksInSandbox(config: SlipwayConfig, max24HourSend = 200): string {
  return `sign-in mail reaches only verified addresses (verify each one: aws sesv2 create-email-identity --email-identity person@example.com --region ${config.region}, then the person follows the link AWS mails), at most ${max24HourSend} a day; sign-in with GitHub or Google (OAuth) needs no mail once its client is configured`;
}

/** The command that asks AWS for production access, and where it is explained. */
export function productionAccessRequest(config: SlipwayConfig): string {
  return `aws sesv2 put-account-details --production-access-enabled --mail-type TRANSACTIONAL --website-url ${config.appUrl} --use-case-description "Sign-in links for the team's issue tracker, sent only to people who ask for one" --region ${config.region} (about a day; ${PRODUCTION_ACCESS_DOC})`;
}

const REVIEW: Record<string, string> = {
  PENDING: 'production access was requested and AWS is reviewing it',
  DENIED: 'a request for production access was denied: answer the case in the Support Center or ask again with a fuller use case',
  FAILED: 'the request for production access did not reach AWS: ask again',
};

export function sandboxOutcome(status: SandboxStatus, config: SlipwayConfig): CheckOutcome {
  if (status.state === 'production') return { status: 'pass', detail: `production access in ${config.region}: sign-in mail reaches any address` };
  if (status.state === 'unknown') {
    return {
      status: 'warn',
      detail: `could not read whether the account is in the SES sandbox (${status.reason}); until you know, assume it is: ${whatWorksInSandbox(config)}`,
      fix: `grant ses:GetAccount and run preflight again, or check the SES console's account dashboard in ${config.region}; to leave the sandbox: ${productionAccessRequest(config)}`,
    };
  }
  const review = status.review && REVIEW[status.review] ? `; ${REVIEW[status.review]}${status.caseId ? ` (case ${status.caseId})` : ''}` : '';
  return {
    status: 'warn',
    detail: `the account is in the SES sandbox in ${config.region}${review}. What works now: ${whatWorksInSandbox(config, status.max24HourSend)}`,
    fix: status.review === 'PENDING' ? `wait for the review (about a day); ${PRODUCTION_ACCESS_DOC}` : `request production access: ${productionAccessRequest(config)}`,
  };
}

export const checkSesSandbox: PreflightCheck = {
  name: 'SES sandbox',
  aws: true,
  run: async ({ config, clients }) => sandboxOutcome(await readSandboxStatus(clients.ses), config),
};
