import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import type { SlipwayConfig } from '../config.ts';
import { ContainerRegistry } from '../constructs/container-registry.ts';
import { resourceNames } from '../names.ts';
import { OUTPUT_KEYS } from '../outputs.ts';

export interface RegistryStackProps extends StackProps {
  readonly config: SlipwayConfig;
}

/** The image repository, in its own stack so images can be pushed before services exist. */
export class RegistryStack extends Stack {
  readonly repository: ecr.Repository;
  readonly repositoryUri: string;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    const registry = new ContainerRegistry(this, 'Registry', {
      repositoryName: resourceNames(props.config.appName, props.config.account, props.config.region).repository,
      keepImages: props.config.release.keepReleases,
    });
    this.repository = registry.repository;
    this.repositoryUri = registry.repositoryUri;
    new CfnOutput(this, OUTPUT_KEYS.repositoryUri, { value: this.repositoryUri });
    new CfnOutput(this, OUTPUT_KEYS.repositoryName, { value: this.repository.repositoryName });
  }
}
