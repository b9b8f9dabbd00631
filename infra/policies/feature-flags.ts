/**
 * The CDK feature flags this app sets differently from the recommended set that `cdk init`
 * writes (aws-cdk-lib's recommended-feature-flags.json), each with the reason. cdk.json holds
 * the recommended set with exactly these values replaced; infra/test/feature-flags.test.ts
 * keeps the three in step.
 */
export interface FlagException {
  readonly value: unknown;
  readonly reason: string;
}

export const FEATURE_FLAG_EXCEPTIONS: Readonly<Record<string, FlagException>> = {
  '@aws-cdk/aws-ecs:disableExplicitDeploymentControllerForCircuitBreaker': {
    value: false,
    reason:
      'it drops DeploymentController {Type: ECS} from both services, and CloudFormation replaces a service whose DeploymentController changes',
  },
  '@aws-cdk/aws-secretsmanager:useAttachedSecretResourcePolicyForSecretTargetAttachments': {
    value: false,
    reason:
      'it swaps the database secret\'s resource policy for a new resource on the same secret; deleting the old one afterwards removes the Deny DeleteSecret policy',
  },
};
