import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

/**
 * The release's image in the app's ECR repository, named from the repository's own
 * RepositoryUri attribute. `ContainerImage.fromEcrRepository` builds the same name by splitting
 * the repository ARN, which across stacks splits a weak reference (`Fn::GetStackOutput`) that
 * cfn-lint cannot type. Pulls are granted to the execution role as `EcrImage` does.
 */
export class ReleaseImage extends ecs.ContainerImage {
  constructor(
    private readonly repository: ecr.IRepository,
    private readonly repositoryUri: string,
    private readonly tag: string,
  ) {
    super();
  }

  bind(_scope: Construct, container: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    this.repository.grantPull(container.taskDefinition.obtainExecutionRole());
    return { imageName: `${this.repositoryUri}:${this.tag}` };
  }
}
