/**
 * Outgoing email. Which provider sends is decided once from the settings, first match wins:
 * an explicit EMAIL_PROVIDER (smtp | ses | log); SMTP_HOST set → SMTP; SENDER_EMAIL alone →
 * Amazon SES (credentials from the default chain, i.e. the ECS task role); otherwise none.
 *
 * A provider that fails throws EmailProviderError with the provider's reason, for the log;
 * the HTTP layer turns it into a 502 without any detail a client could misuse.
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { EmailSettings } from '../config/api.ts';

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export type EmailProviderKind = 'smtp' | 'ses' | 'log';

export interface EmailSender {
  readonly kind: EmailProviderKind;
  send(message: EmailMessage): Promise<void>;
}

export class EmailProviderError extends Error {
  constructor(
    readonly provider: EmailProviderKind,
    readonly reason: string,
  ) {
    super(`${provider} could not send the email: ${reason}`);
    this.name = 'EmailProviderError';
  }
}

/** The settings that make a provider available, for "not configured" answers. */
export const EMAIL_SETUP_HINT =
  'set SMTP_HOST and SENDER_EMAIL (plus SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD as needed) to send through SMTP, ' +
  'or SENDER_EMAIL alone (with AWS_REGION) to send through Amazon SES; EMAIL_PROVIDER=smtp|ses|log forces a choice';

/** Which provider the settings select, or undefined when none is configured. */
export function selectEmailProvider(settings: EmailSettings): EmailProviderKind | undefined {
  if (settings.provider) return settings.provider;
  if (settings.smtp) return 'smtp';
  if (settings.senderEmail) return 'ses';
  return undefined;
}

export interface EmailSenderOptions {
  readonly log: Logger;
  /** An SES client to use instead of building one (tests inject one). */
  readonly sesClient?: SESv2Client;
  /** A nodemailer transport to use instead of building one from the SMTP settings. */
  readonly smtpTransport?: Transporter;
  /** How long a send through SES may take, retries included. @default SES_TIMEOUT_MS */
  readonly sesTimeoutMs?: number;
}

/**
 * The SDK sets no time limit of its own: without one, a sign-in request waits as long as SES
 * does, the load balancer cuts it after its idle timeout, and the link it stored stays behind.
 * (SMTP has nodemailer's connection, greeting and socket timeouts below.)
 */
export const SES_TIMEOUT_MS = 10_000;

// Sign-in and invitations each build a sender from the same settings: warn once per log.
const warnedLogs = new WeakSet<Logger>();

export function createEmailSender(settings: EmailSettings, options: EmailSenderOptions): EmailSender | undefined {
  const kind = selectEmailProvider(settings);
  switch (kind) {
    case 'smtp':
      return new SmtpSender(settings, options.smtpTransport);
    case 'ses':
      return new SesSender(settings, options.sesClient, options.sesTimeoutMs ?? SES_TIMEOUT_MS);
    case 'log':
      // A mail sink for tests and rehearsals: the sign-in links it writes are credentials, the
      // one exception to "credentials are never logged", so it says so where the logs go.
      if (!warnedLogs.has(options.log)) {
        warnedLogs.add(options.log);
        options.log.warn('EMAIL_PROVIDER=log writes every email to this log, sign-in links (credentials) included: use smtp or ses for real users');
      }
      return new LogSender(options.log);
    default:
      return undefined;
  }
}

/** The error's message plus the SMTP/AWS details that say why, on one line. */
function describe(error: unknown): string {
  const e = error as { message?: string; code?: string; responseCode?: number; response?: string; name?: string; $metadata?: { httpStatusCode?: number } };
  const parts = [e.message ?? String(error)];
  if (e.code && !parts[0]!.includes(e.code)) parts.push(`code ${e.code}`);
  if (e.responseCode) parts.push(`smtp ${e.responseCode}`);
  if (e.name && e.name !== 'Error' && !parts[0]!.includes(e.name)) parts.push(e.name);
  if (e.$metadata?.httpStatusCode) parts.push(`http ${e.$metadata.httpStatusCode}`);
  return parts.join('; ').replace(/\s+/g, ' ').slice(0, 1000);
}

class SmtpSender implements EmailSender {
  readonly kind = 'smtp' as const;
  /** nodemailer is loaded only when SMTP is the provider (it is a large share of the bundle). */
  private readonly transport: Promise<Transporter>;
  private readonly from: string;

  constructor(settings: EmailSettings, transport?: Transporter) {
    const smtp = settings.smtp;
    this.from = settings.senderEmail ?? '';
    if (transport) {
      this.transport = Promise.resolve(transport);
      return;
    }
    if (!smtp) throw new Error('EMAIL_PROVIDER=smtp needs SMTP_HOST');
    const implicit = smtp.tls === 'implicit';
    this.transport = import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      // Implicit TLS from the first byte (465), or a plain connection upgraded with STARTTLS,
      // which is then required: credentials and links never cross the network in clear text.
      secure: implicit,
      requireTLS: !implicit,
      ignoreTLS: false,
      name: smtp.ehloName,
      auth: smtp.username ? { user: smtp.username, pass: smtp.password ?? '' } : undefined,
      tls: { rejectUnauthorized: !smtp.tlsInsecure },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    }));
  }

  async send(message: EmailMessage): Promise<void> {
    try {
      await (await this.transport).sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
    } catch (error) {
      throw new EmailProviderError('smtp', describe(error));
    }
  }
}

class SesSender implements EmailSender {
  readonly kind = 'ses' as const;
  private client?: Promise<SESv2Client>;
  private readonly from: string;

  constructor(
    private readonly settings: EmailSettings,
    client: SESv2Client | undefined,
    private readonly timeoutMs: number,
  ) {
    this.from = settings.senderEmail ?? '';
    if (client) this.client = Promise.resolve(client);
  }

  /** The SDK is loaded on first use, so a server without SES does not pay for it at start. */
  private ses(): Promise<SESv2Client> {
    // Credentials come from the default provider chain: the ECS task role in AWS.
    const { region } = this.settings;
    this.client ??= import('@aws-sdk/client-sesv2').then(({ SESv2Client }) => new SESv2Client(region ? { region, maxAttempts: 3 } : { maxAttempts: 3 }));
    return this.client;
  }

  async send(message: EmailMessage): Promise<void> {
    try {
      const { SendEmailCommand } = await import('@aws-sdk/client-sesv2');
      await (await this.ses()).send(
        new SendEmailCommand({
          FromEmailAddress: this.from,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
            },
          },
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new EmailProviderError('ses', `no answer within ${this.timeoutMs / 1000} s`);
      throw new EmailProviderError('ses', describe(error));
    }
  }
}

/** Writes the email to the log instead of sending it (EMAIL_PROVIDER=log). */
class LogSender implements EmailSender {
  readonly kind = 'log' as const;
  constructor(private readonly log: Logger) {}

  async send(message: EmailMessage): Promise<void> {
    this.log.info({ email: { to: message.to, subject: message.subject, text: message.text } }, 'email not sent (EMAIL_PROVIDER=log)');
  }
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(title: string, paragraphs: string[], action?: { label: string; url: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${escapeHtml(p)}</p>`).join('\n');
  const button = action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(action.url)}" style="background:#2f5bea;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">${escapeHtml(action.label)}</a></p>
<p style="margin:0 0 16px;color:#555;font-size:13px">Or paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(action.url)}</span></p>`
    : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1a1a1a;line-height:1.5;margin:0;padding:24px">
<div style="max-width:520px;margin:0 auto">
<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(title)}</h1>
${body}
${button}
</div></body></html>`;
}

/** The sign-in email: plain text and simple HTML carrying the single-use link. */
export function signInEmail(to: string, link: string, appUrl: string, expiresInMinutes: number): EmailMessage {
  const host = new URL(appUrl).host;
  const lines = [
    `Use the link below to sign in to Slipway at ${host}. It works once and expires in ${expiresInMinutes} minutes.`,
    'If you did not ask to sign in, ignore this email: nobody can sign in without the link.',
  ];
  return {
    to,
    subject: 'Your Slipway sign-in link',
    text: `${lines[0]}\n\n${link}\n\n${lines[1]}\n`,
    html: layout('Sign in to Slipway', lines, { label: 'Sign in', url: link }),
  };
}

/**
 * Sent instead of a link when the address may not sign up here, so the answer to the request
 * is the same either way and the owner of the address still learns why no link came.
 */
export function signUpRefusedEmail(to: string, appUrl: string): EmailMessage {
  const host = new URL(appUrl).host;
  const lines = [
    `Someone asked to sign in to Slipway at ${host} with this address, but there is no account for it and new accounts here are limited to invited people or approved addresses.`,
    'Ask a workspace admin to invite this address, then request a sign-in link again. If it was not you, ignore this email.',
  ];
  return { to, subject: 'Signing in to Slipway', text: `${lines.join('\n\n')}\n`, html: layout('No Slipway account for this address', lines) };
}

/** Header fields must stay on one line whatever a workspace or person is called. */
const oneLine = (value: string) => value.replace(/[\r\n\t]+/g, ' ').trim();

/**
 * The invitation: who invited the address to which workspace, and the sign-in page to open.
 * It carries no credential: the invitee joins by signing in with this address, by email link
 * or with a provider that vouches for it, so the mail is safe to forward or to log.
 */
export function invitationEmail(input: { to: string; inviter: { name: string; email: string }; workspace: string; link: string; appUrl: string }): EmailMessage {
  const host = new URL(input.appUrl).host;
  const inviter = input.inviter.name ? `${oneLine(input.inviter.name)} (${input.inviter.email})` : input.inviter.email;
  const workspace = oneLine(input.workspace);
  const lines = [
    `${inviter} invited you to the workspace “${workspace}” on Slipway at ${host}.`,
    `Sign in as ${input.to} to join it; the invitation waits until you do.`,
  ];
  return {
    to: input.to,
    subject: oneLine(`${input.inviter.name || input.inviter.email} invited you to ${workspace} on Slipway`).slice(0, 200),
    text: `${lines[0]}\n\n${lines[1]}\n\n${input.link}\n`,
    html: layout(`Join ${workspace} on Slipway`, lines, { label: 'Sign in to join', url: input.link }),
  };
}
