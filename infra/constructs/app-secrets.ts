import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { OAUTH_PROVIDER_NAMES, UNSET_SECRET_KEY, type OAuthProviderId } from '../../app/src/config/oauth-providers.ts';
import { oauthClientSecretName } from '../names.ts';
import { acknowledge } from '../policies/acknowledge.ts';

export interface AppSecretsProps {
  /** Prefix of the secret names, e.g. `slipway/app`. */
  readonly namePrefix: string;
  /**
   * OAuth providers with a client id: each gets a secret for its client secret.
   * @default - none: no OAuth secret is created
   */
  readonly oauthProviders?: readonly OAuthProviderId[];
}

/** Construct ids of the OAuth client secrets (public API: renaming one replaces the secret). */
const OAUTH_SECRET_IDS: Record<OAuthProviderId, string> = { github: 'GitHubClientSecret', google: 'GoogleClientSecret' };

/** Every letter that is not a hex digit: with punctuation and upper case excluded, 0-9a-f remain. */
const NON_HEX_LETTERS = 'ghijklmnopqrstuvwxyz';

/**
 * The app's own secrets, generated in Secrets Manager (never in the template): the session
 * signing secret, the metrics bearer token and the 32-byte credential-encryption key
 * (64 hex characters), and one client secret per configured OAuth provider.
 */
export class AppSecrets extends Construct {
  readonly sessionSecret: secretsmanager.Secret;
  readonly metricsToken: secretsmanager.Secret;
  readonly credentialsEncryptionKey: secretsmanager.Secret;
  /** The client secret of each configured OAuth provider. */
  readonly oauthClientSecrets: Partial<Record<OAuthProviderId, secretsmanager.Secret>> = {};

  constructor(scope: Construct, id: string, props: AppSecretsProps) {
    super(scope, id);
    this.sessionSecret = new secretsmanager.Secret(this, 'SessionSecret', {
      secretName: `${props.namePrefix}/session-secret`,
      description: 'Signs session cookies (SESSION_SECRET)',
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    this.metricsToken = new secretsmanager.Secret(this, 'MetricsToken', {
      secretName: `${props.namePrefix}/metrics-token`,
      description: 'Bearer token for /api/metrics (METRICS_TOKEN)',
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    this.credentialsEncryptionKey = new secretsmanager.Secret(this, 'CredentialsEncryptionKey', {
      secretName: `${props.namePrefix}/credentials-encryption-key`,
      description: '32-byte key as 64 hex characters (CREDENTIALS_ENCRYPTION_KEY)',
      // Losing this key makes every stored credential unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: {
        passwordLength: 64,
        excludePunctuation: true,
        excludeUppercase: true,
        excludeCharacters: NON_HEX_LETTERS,
        includeSpace: false,
      },
    });
    for (const provider of props.oauthProviders ?? []) this.oauthClientSecrets[provider] = this.oauthClientSecret(props.namePrefix, provider);
    this.acknowledgeRotation();
  }

  /**
   * The provider issues the client secret, so the operator puts it in after the first deploy
   * (secret-rotation runbook). Until then the secret holds a marker the app recognizes: that
   * provider stays off and the api says so in its log, so the deploy never fails on it.
   */
  private oauthClientSecret(namePrefix: string, provider: OAuthProviderId): secretsmanager.Secret {
    const name = OAUTH_PROVIDER_NAMES[provider];
    const secret = new secretsmanager.Secret(this, OAUTH_SECRET_IDS[provider], {
      secretName: oauthClientSecretName(namePrefix, provider),
      description: `Client secret of the ${name} OAuth client (${provider.toUpperCase()}_CLIENT_SECRET); put the value from ${name} here`,
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ [UNSET_SECRET_KEY]: `Replace this whole value with the client secret from ${name}` }),
        generateStringKey: 'padding',
        passwordLength: 16,
        excludePunctuation: true,
        includeSpace: false,
      },
    });
    acknowledge(secret, 'AwsSolutions-SMG4', `${name} issues this client secret; it is rotated at ${name} and put here by the secret-rotation runbook`);
    return secret;
  }

  private acknowledgeRotation(): void {
    acknowledge(
      this.sessionSecret,
      'AwsSolutions-SMG4',
      'Rotating the session secret signs everyone out; it is rotated on purpose by the secret-rotation runbook, not on a timer',
    );
    acknowledge(
      this.metricsToken,
      'AwsSolutions-SMG4',
      'The metrics token is shared with the scraper; the runbook rotates both together, an automatic rotation would break scraping',
    );
    acknowledge(
      this.credentialsEncryptionKey,
      'AwsSolutions-SMG4',
      'Stored credentials are encrypted with this key; a new key needs a re-encryption step, so the runbook rotates it, never a timer',
    );
  }

  /** All of them, for grants and scans. */
  get all(): secretsmanager.Secret[] {
    return [this.sessionSecret, this.metricsToken, this.credentialsEncryptionKey, ...Object.values(this.oauthClientSecrets)];
  }
}
