import { App, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Shortest reason accepted: a reason must say why this resource is an exception. */
export const MIN_REASON_LENGTH = 40;

/**
 * Acknowledges one cdk-nag finding on one resource (never a stack or the app), with a reason
 * specific to that resource. `ruleId` is a rule (`AwsSolutions-ECS2`) or a single finding
 * (`AwsSolutions-IAM5[Resource::*]`).
 */
export function acknowledge(resource: IConstruct, ruleId: string, reason: string): void {
  if (resource instanceof Stack || resource instanceof App) {
    throw new Error(`acknowledge ${ruleId} on a resource, not on the whole ${resource.node.path || 'app'}`);
  }
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(`acknowledgement of ${ruleId} on ${resource.node.path} needs a specific reason (${MIN_REASON_LENGTH}+ characters)`);
  }
  Validations.of(resource).acknowledge({ id: ruleId, reason });
}

/** The finding id cdk-nag gives a wildcard resource of an IAM policy. */
export const iam5Resource = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;

const logicalIdOf = (resource: IConstruct) =>
  Stack.of(resource).getLogicalId((resource.node.defaultChild ?? resource) as never);

/** How cdk-nag prints `Fn::GetAtt [logicalId, Arn]` inside a policy resource. */
export const arnOf = (resource: IConstruct) => `<${logicalIdOf(resource)}.Arn>`;

/** How cdk-nag prints `Ref logicalId` inside a policy resource. */
export const refOf = (resource: IConstruct) => `<${logicalIdOf(resource)}>`;

/**
 * How cdk-nag prints the partition of an ARN in `scope`'s stack: a literal (`aws`) when the
 * region is known and partition literals are on, else `<AWS::Partition>`.
 */
export const partitionOf = (scope: IConstruct) => {
  const partition = Stack.of(scope).partition;
  return Token.isUnresolved(partition) ? '<AWS::Partition>' : partition;
};
