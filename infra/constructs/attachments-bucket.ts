import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface AttachmentsBucketProps {
  /** Globally unique bucket name, e.g. `slipway-attachments-123456789012-eu-west-1`. */
  readonly bucketName: string;
  /** The app's public origin, e.g. `https://tracker.example.com`: browsers upload from it. */
  readonly appOrigin: string;
  /** Bucket that receives the server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /** Days a replaced or deleted attachment version is kept. */
  readonly noncurrentVersionDays: number;
}

/**
 * The attachments bucket: private, encrypted, TLS only, versioned (noncurrent versions
 * expire), CORS for presigned GET/PUT from the app origin, access-logged and kept on
 * stack deletion.
 */
export class AttachmentsBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** The bucket name as a plain string (no cross-stack reference needed). */
  readonly bucketName: string;

  constructor(scope: Construct, id: string, props: AttachmentsBucketProps) {
    super(scope, id);
    this.bucketName = props.bucketName;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'attachments/',
      cors: [
        {
          allowedOrigins: [props.appOrigin],
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.PUT, s3.HttpMethods.HEAD],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays) },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }
}
