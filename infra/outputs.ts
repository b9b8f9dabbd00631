/**
 * Names shared by the CDK app and the operator scripts: stack names, the CloudFormation
 * output keys the scripts read, the image-tag parameter and the SSM release-history prefix.
 * Renaming anything here breaks deployed stacks or the scripts: add, never rename.
 */

export const STACK_KEYS = ['network', 'data', 'registry', 'edge', 'service', 'observability'] as const;
export type StackKey = (typeof STACK_KEYS)[number];

/** CloudFormation stack names, all prefixed with APP_NAME, e.g. `slipway-service`. */
export function stackNames(appName: string): Readonly<Record<StackKey, string>> {
  return Object.freeze(
    Object.fromEntries(STACK_KEYS.map((key) => [key, `${appName}-${key}`])) as Record<StackKey, string>,
  );
}

/** The CloudFormation parameter of the service stack that carries the release (image tag). */
export const IMAGE_TAG_PARAMETER = 'ImageTag';

/**
 * What a release (image tag) may look like, as ECR allows it: the settings, the ImageTag
 * parameter's allowedPattern and the operator commands all check this one rule.
 */
export const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

/**
 * A second parameter of the service stack: changing it (any new value, e.g. a timestamp)
 * rolls the api and web tasks without a new image, so they re-read their secrets.
 */
export const ROLLOUT_PARAMETER = 'RolloutId';

/**
 * A parameter of the observability stack: the RDS instance the database alarms watch. It
 * defaults to the stack's own instance; a restore-drill cutover sets it to the copy the app
 * uses and its rollback sets it back (CloudFormation keeps it across plain deploys).
 */
export const MONITORED_DB_PARAMETER = 'MonitoredDbInstanceId';

/** SSM Parameter Store prefix under which the deploy script records each release. */
export function releaseHistoryPrefix(appName: string): string {
  return `/${appName}/releases`;
}

/** Output keys, by the stack that exports them. */
export const OUTPUT_KEYS = {
  // network
  vpcId: 'VpcId',
  vpcCidr: 'VpcCidr',
  privateSubnetIds: 'PrivateSubnetIds',
  isolatedSubnetIds: 'IsolatedSubnetIds',
  // data
  dbInstanceIdentifier: 'DbInstanceIdentifier',
  dbEndpointAddress: 'DbEndpointAddress',
  dbPort: 'DbPort',
  dbSecretArn: 'DbSecretArn',
  /** The api's own login (DB_APP_LOGIN): absent when the api signs in as the master user. */
  dbAppSecretArn: 'DbAppSecretArn',
  dbSecurityGroupId: 'DbSecurityGroupId',
  dbSubnetGroupName: 'DbSubnetGroupName',
  dbParameterGroupName: 'DbParameterGroupName',
  redisEndpointAddress: 'RedisEndpointAddress',
  redisAuthSecretArn: 'RedisAuthSecretArn',
  sessionSecretArn: 'SessionSecretArn',
  metricsTokenSecretArn: 'MetricsTokenSecretArn',
  credentialsKeySecretArn: 'CredentialsKeySecretArn',
  attachmentsBucketName: 'AttachmentsBucketName',
  logsBucketName: 'LogsBucketName',
  // registry
  repositoryUri: 'RepositoryUri',
  repositoryName: 'RepositoryName',
  // edge
  certificateArn: 'CertificateArn',
  sesIdentityName: 'SesIdentityName',
  // service
  appUrl: 'AppUrl',
  albDnsName: 'AlbDnsName',
  clusterName: 'ClusterName',
  apiServiceName: 'ApiServiceName',
  webServiceName: 'WebServiceName',
  migrateTaskFamily: 'MigrateTaskFamily',
  migrateContainerName: 'MigrateContainerName',
  /** Comma-separated private subnet ids for one-off tasks (migrate, restore validation). */
  taskSubnetIds: 'TaskSubnetIds',
  /** Security group for one-off tasks; the database and Redis accept it. */
  taskSecurityGroupId: 'TaskSecurityGroupId',
  runningImageTag: 'RunningImageTag',
  imageTagParameterName: 'ImageTagParameterName',
  releaseHistoryPrefix: 'ReleaseHistoryPrefix',
  /** Log group of the blue/green gate: each check's outcome per service deployment. */
  greenGateLogGroupName: 'GreenGateLogGroupName',
  // observability
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
} as const;

export type OutputName = keyof typeof OUTPUT_KEYS;

/** Which stack holds each output. */
export const OUTPUT_STACK: Readonly<Record<OutputName, StackKey>> = {
  vpcId: 'network',
  vpcCidr: 'network',
  privateSubnetIds: 'network',
  isolatedSubnetIds: 'network',
  dbInstanceIdentifier: 'data',
  dbEndpointAddress: 'data',
  dbPort: 'data',
  dbSecretArn: 'data',
  dbAppSecretArn: 'data',
  dbSecurityGroupId: 'data',
  dbSubnetGroupName: 'data',
  dbParameterGroupName: 'data',
  redisEndpointAddress: 'data',
  redisAuthSecretArn: 'data',
  sessionSecretArn: 'data',
  metricsTokenSecretArn: 'data',
  credentialsKeySecretArn: 'data',
  attachmentsBucketName: 'data',
  logsBucketName: 'data',
  repositoryUri: 'registry',
  repositoryName: 'registry',
  certificateArn: 'edge',
  sesIdentityName: 'edge',
  appUrl: 'service',
  albDnsName: 'service',
  clusterName: 'service',
  apiServiceName: 'service',
  webServiceName: 'service',
  migrateTaskFamily: 'service',
  migrateContainerName: 'service',
  taskSubnetIds: 'service',
  taskSecurityGroupId: 'service',
  runningImageTag: 'service',
  imageTagParameterName: 'service',
  releaseHistoryPrefix: 'service',
  greenGateLogGroupName: 'service',
  alarmTopicArn: 'observability',
  dashboardName: 'observability',
};

/** Container names inside the task definitions (the scripts override commands by name). */
export const CONTAINER_NAMES = { api: 'api', web: 'web', migrate: 'migrate' } as const;

/** Where an output lives: the stack name and the output key. */
export function outputLocation(appName: string, name: OutputName): { stackName: string; outputKey: string } {
  return { stackName: stackNames(appName)[OUTPUT_STACK[name]], outputKey: OUTPUT_KEYS[name] };
}

/**
 * Where the app image keeps the Amazon RDS CA bundle (app/Dockerfile, app/rds-ca-bundle.mjs);
 * the tasks connect with DB_SSL=verify-full and DB_SSL_CA_FILE set to it.
 */
export const IMAGE_RDS_CA_BUNDLE = '/app/certs/rds-ca-bundle.pem';
