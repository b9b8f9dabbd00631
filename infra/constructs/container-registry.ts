import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

export interface ContainerRegistryProps {
  /** Repository name, e.g. `slipway`. */
  readonly repositoryName: string;
  /** Images kept; older ones expire (rollbacks can only reach kept images). */
  readonly keepImages: number;
}

/**
 * The ECR repository for the one app image: scan on push, immutable tags (a release tag
 * always means the same image), lifecycle keeping the last N images, kept on stack deletion.
 */
export class ContainerRegistry extends Construct {
  readonly repository: ecr.Repository;
  /** `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`, from the repository's RepositoryUri attribute. */
  readonly repositoryUri: string;

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.AES_256,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { description: 'Drop untagged layers after a day', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(1), rulePriority: 1 },
        { description: `Keep the last ${props.keepImages} releases`, tagStatus: ecr.TagStatus.ANY, maxImageCount: props.keepImages, rulePriority: 2 },
      ],
    });
    this.repositoryUri = (this.repository.node.defaultChild as ecr.CfnRepository).attrRepositoryUri;
  }
}
