/**
 * SES that stops answering: a send fails within its time limit, retries included, with a
 * reason that says so, instead of waiting as long as SES does. A real SDK client against a
 * loopback endpoint that takes connections and never answers (the SES tests in
 * email.test.ts mock the client class, which would hide exactly this).
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import pino from 'pino';
import { expect, it } from 'vitest';
import { blackHole } from '../../test/support/servers.ts';
import { createEmailSender, EmailProviderError, signInEmail } from '../src/email/index.ts';

it('a send to an SES endpoint that never answers fails after the time limit, saying so', async () => {
  const hole = await blackHole();
  try {
    const sesClient = new SESv2Client({ region: 'eu-west-1', endpoint: hole.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } });
    const sender = createEmailSender({ provider: 'ses', senderEmail: 'signin@tracker.example.org', region: 'eu-west-1' }, { log: pino({ level: 'silent' }), sesClient, sesTimeoutMs: 400 })!;
    const failed = await sender.send(signInEmail('someone@example.com', 'https://tracker.example.org/auth/verify?token=x', 'https://tracker.example.org', 15)).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(EmailProviderError);
    expect((failed as EmailProviderError).message).toBe('ses could not send the email: no answer within 0.4 s');
    // It did reach the endpoint: the time limit ended it, not a refused connection.
    expect(hole.connections()).toBeGreaterThanOrEqual(1);
  } finally {
    await hole.close();
  }
});
