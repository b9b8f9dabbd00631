/**
 * What this server offers, for clients to read before they offer it: the sign-in methods
 * (email links, the OAuth providers that are configured) and whether attachments are stored.
 * Read at runtime, so turning a provider or storage on needs a restart, never a UI rebuild.
 * Public: the sign-in page needs it before anyone is signed in. It names no server setting;
 * what is off is logged once at start, with the settings that turn it on, for the operator.
 */
import { z } from 'zod';
import { OAUTH_PROVIDER_IDS, OAUTH_SETTINGS, configuredProviders } from '../../config/oauth.ts';
import { ATTACHMENTS_SETUP_HINT, AttachmentStorage } from '../../storage/attachments.ts';
import { ERROR_RESPONSES, type ApiInstance } from '../schema.ts';
import type { ApiDependencies } from '../server.ts';
import type { OutgoingMail } from './mail.ts';

export const capabilitiesJson = z
  .object({
    signIn: z.object({
      emailLink: z.boolean().describe('whether a sign-in link can be requested by email'),
      providers: z.array(
        z.object({
          id: z.enum(OAUTH_PROVIDER_IDS),
          name: z.string().describe('e.g. GitHub'),
          startUrl: z.string().describe('open this in the browser (a navigation, not a fetch) to sign in'),
        }),
      ),
    }),
    attachments: z.object({
      enabled: z.boolean().describe('false: the server stores no files; do not offer to attach one'),
      maxBytes: z.number().int().describe('largest file accepted'),
    }),
  })
  .meta({ id: 'Capabilities' });
export type CapabilitiesJson = z.output<typeof capabilitiesJson>;

export function registerCapabilities(app: ApiInstance, deps: ApiDependencies, mail: Pick<OutgoingMail, 'sender'>): void {
  const { config, log } = deps;
  const storage = new AttachmentStorage(config.attachments);
  if (!storage.configured) log.warn({ setting: 'S3_BUCKET' }, `attachments are off: ${ATTACHMENTS_SETUP_HINT}`);
  const answer: CapabilitiesJson = {
    signIn: {
      // Outside production, links are shown on screen when no provider is configured.
      emailLink: Boolean(mail.sender) || config.environment !== 'production',
      providers: configuredProviders(config.oauth).map((id) => ({ id, name: OAUTH_SETTINGS[id].name, startUrl: `/api/v1/auth/oauth/${id}/start` })),
    },
    attachments: { enabled: storage.configured, maxBytes: config.attachments.maxBytes },
  };

  app.get(
    '/api/v1/capabilities',
    { schema: { summary: 'What this server offers: sign-in methods and attachments', response: { 200: capabilitiesJson, ...ERROR_RESPONSES } } },
    async (_request, reply) => {
      reply.header('cache-control', 'no-cache');
      return answer;
    },
  );
}
