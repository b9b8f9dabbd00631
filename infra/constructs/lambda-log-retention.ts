import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, iam5Resource } from '../policies/acknowledge.ts';

export interface LambdaLogRetentionProps {
  /** Names of the functions whose default log groups (`/aws/lambda/NAME`) get the retention. */
  readonly functionNames: readonly string[];
  readonly retention: logs.RetentionDays;
}

/**
 * A retention for the log groups of Lambda functions the kit does not define itself (the
 * Secrets Manager rotation functions of a serverless application, the handler aws-cdk-lib adds
 * to clear the VPC's default security group). Such a function writes to `/aws/lambda/NAME`,
 * which Lambda creates on its first run with no expiry. A LogGroup resource of that name cannot
 * take over a group a deployed function already made (CloudFormation refuses a name that
 * exists), so aws-cdk-lib's LogRetention custom resource sets the retention instead: it creates
 * the group when missing, and leaves it in place when the resource goes away.
 *
 * Its one function per stack runs with the role made here, allowed only these groups and its
 * own logs, instead of aws-cdk-lib's default role (a managed policy, `logs:*RetentionPolicy` on
 * `*`); the role is handed over immutable, so LogRetention cannot widen it.
 */
export class LambdaLogRetention extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LambdaLogRetentionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // CloudWatch Logs evaluates log-group actions against the group's ARN with `:*` appended.
    const groupArns = (name: string) => {
      const arn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      return [arn, `${arn}:*`];
    };
    const targets = props.functionNames.flatMap((name) => groupArns(`/aws/lambda/${name}`));
    // The custom resource's own function: CloudFormation names it STACK-LogRetention<hash>-<random>.
    const own = groupArns(`/aws/lambda/${stack.stackName}-LogRetention*`);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Sets the retention of the log groups of Lambda functions defined outside the kit',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy'], resources: targets }),
    );
    // Its own log group, which the handler creates and gives a one-day retention.
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: own }),
    );

    const role = this.role.withoutPolicyUpdates();
    props.functionNames.forEach((name, i) => {
      const retention = new logs.LogRetention(this, `Group${i + 1}`, { logGroupName: `/aws/lambda/${name}`, retention: props.retention, role });
      // The function gets the role by GetAtt only; it may run only once the policy is attached.
      retention.node.addDependency(this.role);
    });

    const policy = this.role.node.findChild('DefaultPolicy');
    for (const arn of targets.filter((a) => a.endsWith(':*'))) {
      acknowledge(policy, iam5Resource(printedForNag(stack, arn)), 'A named log group, written as CloudWatch Logs evaluates log-group actions: its ARN followed by :*');
    }
    for (const arn of own) {
      acknowledge(policy, iam5Resource(printedForNag(stack, arn)), 'The log-retention function\'s own log group: CloudFormation generates the function name after the STACK-LogRetention prefix');
    }
  }
}

/** A value as cdk-nag prints it in a finding: literals as they are, `Ref x` as `<x>`, `GetAtt x.y` as `<x.y>`. */
function printedForNag(stack: Stack, value: string): string {
  const print = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, any>;
    if (o.Ref) return `<${o.Ref}>`;
    if (o['Fn::GetAtt']) return `<${o['Fn::GetAtt'].join('.')}>`;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(print).join(o['Fn::Join'][0]);
    throw new Error(`cannot print ${JSON.stringify(v)} as cdk-nag does`);
  };
  return print(stack.resolve(value));
}
