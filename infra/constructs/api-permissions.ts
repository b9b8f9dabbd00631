import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, iam5Resource, partitionOf } from '../policies/acknowledge.ts';

export interface ApiPermissionsProps {
  /** The api task role. */
  readonly role: iam.IRole;
  /** Name of the attachments bucket (a plain string: the ARN needs no cross-stack reference). */
  readonly attachmentsBucketName: string;
  /** Name of the SES identity the app sends from (its domain). */
  readonly sesIdentityName: string;
  /** The only From address the app may use. */
  readonly senderEmail: string;
}

/**
 * What the api may do besides its secrets: read and write attachment objects of one bucket,
 * and send mail only from the SES identity and the sender address.
 */
export class ApiPermissions extends Construct {
  constructor(scope: Construct, id: string, props: ApiPermissionsProps) {
    super(scope, id);
    const bucketArn = `arn:${Stack.of(this).partition}:s3:::${props.attachmentsBucketName}`;
    props.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [`${bucketArn}/*`],
      }),
    );
    props.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }));
    const stack = Stack.of(this);
    const identityArn = (name: string) => `arn:${stack.partition}:ses:${stack.region}:${stack.account}:identity/${name}`;
    // SES authorizes a send against the sender's identity and, while the account is in the
    // SES sandbox, also against each (verified) recipient's email-address identity
    // (https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html). `*@*` matches
    // email-address identities only; the From address stays pinned either way.
    props.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [identityArn(props.sesIdentityName), identityArn('*@*')],
        conditions: { StringEquals: { 'ses:FromAddress': props.senderEmail } },
      }),
    );
    acknowledge(
      props.role.node.findChild('DefaultPolicy'),
      iam5Resource(`arn:${partitionOf(this)}:s3:::${props.attachmentsBucketName}/*`),
      'Attachment object keys are generated per upload; access is limited to objects of the attachments bucket',
    );
    acknowledge(
      props.role.node.findChild('DefaultPolicy'),
      iam5Resource(`arn:${partitionOf(this)}:ses:${stack.region}:${stack.account}:identity/*@*`),
      'In the SES sandbox every send is also authorized against the verified recipient address identity; the From address is pinned by ses:FromAddress',
    );
  }
}
