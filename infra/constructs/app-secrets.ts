import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../policies/acknowledge.ts';

export interface AppSecretsProps {
  /** Prefix of the secret names, e.g. `slipway/app`. */
  readonly namePrefix: string;
}

/** Every letter that is not a hex digit: with punctuation and upper case excluded, 0-9a-f remain. */
const NON_HEX_LETTERS = 'ghijklmnopqrstuvwxyz';

/**
 * The app's own secrets, generated in Secrets Manager (never in the template): the session
 * signing secret, the metrics bearer token and the 32-byte credential-encryption key
 * (64 hex characters).
 */
export class AppSecrets extends Construct {
  readonly sessionSecret: secretsmanager.Secret;
  readonly metricsToken: secretsmanager.Secret;
  readonly credentialsEncryptionKey: secretsmanager.Secret;

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
    this.acknowledgeRotation();
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

  /** All three, for grants and scans. */
  get all(): secretsmanager.Secret[] {
    return [this.sessionSecret, this.metricsToken, this.credentialsEncryptionKey];
  }
}
