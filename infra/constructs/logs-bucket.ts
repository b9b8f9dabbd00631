import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface LogsBucketProps {
  /** Globally unique bucket name, e.g. `slipway-logs-123456789012-eu-west-1`. */
  readonly bucketName: string;
  /**
   * Days after which access logs are deleted.
   * @default 365
   */
  readonly expirationDays?: number;
}

/**
 * The destination of S3 server access logs and load balancer access logs: private, SSE-S3
 * (the only encryption ALB log delivery supports), TLS only, kept on stack deletion.
 */
export class LogsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LogsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-logs', expiration: Duration.days(props.expirationDays ?? 365) },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
  }
}
