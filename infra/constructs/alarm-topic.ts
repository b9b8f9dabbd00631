import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Topic name, e.g. `slipway-alarms`. */
  readonly topicName: string;
  /** Prefix of the names of the alarms that publish, e.g. `slipway` (alarms `slipway-*`). */
  readonly alarmNamePrefix: string;
  /**
   * Address that gets every alarm (confirm the subscription email once).
   * @default - no subscription
   */
  readonly email?: string;
}

/**
 * The SNS topic every alarm notifies: encrypted with a customer managed key that CloudWatch
 * may use (the AWS managed SNS key refuses CloudWatch), TLS-only publishing.
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the ${props.topicName} topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stack = Stack.of(this);
    // Only this app's alarms, from this account (confused-deputy protection).
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${props.alarmNamePrefix}-*` },
    };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      displayName: 'Slipway alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy with only a Deny, and a topic policy replaces SNS's
    // default one: without this Allow, CloudWatch may not publish and no alarm is delivered
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
