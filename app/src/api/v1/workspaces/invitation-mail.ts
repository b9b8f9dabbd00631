/**
 * Telling the invitee. The invitation goes out through the configured email provider, under
 * the same limits as sign-in mail (per address and per client). Without a provider outside
 * production the link comes back in the answer, as sign-in links do, and only to a client on
 * this machine; it holds no credential (the invitee joins by signing in), so logging it is safe.
 */
import type { FastifyRequest } from 'fastify';
import { EmailProviderError, invitationEmail } from '../../../email/index.ts';
import { HttpError } from '../../errors.ts';
import type { InvitationJson } from '../json.ts';
import { enforceMailLimits, mayRevealLink, type LimitWording } from '../mail.ts';
import { emailDomain } from '../auth/signup.ts';
import type { WorkspaceAccess } from './access.ts';
import type { WorkspaceContext } from './context.ts';

export interface Delivery {
  /** Whether the email provider accepted the invitation email. */
  readonly emailed: boolean;
  /** Development without an email provider, to a local client only: the link to pass on. */
  readonly link?: string;
}

const WORDING: LimitWording = {
  perIp: 'Too many emails sent from this address',
  perEmail: 'Too many emails sent to this address recently',
};

/** Where the invitee signs in (their address filled in). */
export const invitationLink = (appUrl: string, email: string) => `${appUrl}/signin?email=${encodeURIComponent(email)}`;

/** Counts the invitation against the mail limits; throws 429 before anything is created. */
export function checkInvitationLimits(ctx: WorkspaceContext, request: FastifyRequest, email: string): Promise<void> {
  return enforceMailLimits(ctx.mail, request.ip, email, WORDING);
}

/** Sends the invitation; if the provider refuses, the invitation is withdrawn and the answer is 502. */
export async function deliverInvitation(ctx: WorkspaceContext, request: FastifyRequest, access: WorkspaceAccess, invitation: InvitationJson): Promise<Delivery> {
  const { config, log, mail } = ctx;
  const link = invitationLink(config.appUrl, invitation.email);
  const reveal = mayRevealLink(ctx, mail.sender, request);
  const domain = emailDomain(invitation.email);
  if (!mail.sender) {
    if (reveal) {
      log.info({ link, domain }, 'no email provider configured: invitation link returned in the response (development only)');
      return { emailed: false, link };
    }
    log.info({ domain }, 'no email provider configured: the invitation was recorded but not emailed');
    return { emailed: false };
  }
  const inviter = request.user ?? { name: '', email: 'A workspace admin' };
  try {
    await mail.sender.send(invitationEmail({ to: invitation.email, inviter, workspace: access.name, link, appUrl: config.appUrl }));
  } catch (error) {
    const reason = error instanceof EmailProviderError ? error.reason : (error as Error).message;
    log.warn({ provider: mail.sender.kind, reason, domain }, 'email provider failed to send an invitation');
    await ctx.pool.query('DELETE FROM workspace_invitations WHERE id = $1 AND accepted_at IS NULL', [invitation.id]);
    throw new HttpError(502, 'email_provider_failed', `The email provider (${mail.sender.kind}) could not send the invitation, so it was not saved; try again in a minute`);
  }
  // EMAIL_PROVIDER=log writes the mail to the log: nothing reached an inbox.
  const emailed = mail.sender.kind !== 'log';
  return reveal ? { emailed, link } : { emailed };
}
