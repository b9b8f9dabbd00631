import { CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import type { SlipwayConfig } from '../config.ts';
import { ApiPermissions } from '../constructs/api-permissions.ts';
import { AppService } from '../constructs/app-service.ts';
import { GreenGateHook } from '../constructs/blue-green-hook.ts';
import { databaseLogins } from '../constructs/database-logins.ts';
import { PublicLoadBalancer } from '../constructs/load-balancer.ts';
import { MigrateBeforeRoll } from '../constructs/migrate-before-roll.ts';
import { ReleaseImage } from '../constructs/release-image.ts';
import { MigrateTask } from '../constructs/migrate-task.ts';
import { WebFirewall, wafLogGroup } from '../constructs/web-firewall.ts';
import { resourceNames } from '../names.ts';
import { REDIS_PORT } from '../constructs/redis-cache.ts';
import { CONTAINER_NAMES, IMAGE_RDS_CA_BUNDLE, IMAGE_TAG_PARAMETER, IMAGE_TAG_PATTERN, OUTPUT_KEYS, ROLLOUT_PARAMETER } from '../outputs.ts';
import type { DataStack } from './data-stack.ts';

/** Ports of the app's commands (app/API.md). */
export const API_PORT = 7016;
export const WEB_PORT = 7015;
/** Test listeners of blue/green releases: each reaches one service's green tasks, from the gate only. */
export const TEST_PORTS = { api: 9016, web: 9015 } as const;

export interface ServiceStackProps extends StackProps {
  readonly config: SlipwayConfig;
  readonly vpc: ec2.IVpc;
  readonly data: Pick<DataStack, 'database' | 'redis' | 'attachments' | 'logs' | 'appSecrets'>;
  readonly repository: ecr.IRepository;
  /** The repository's URI (its RepositoryUri attribute). */
  readonly repositoryUri: string;
  /**
   * ARN of the listener's certificate: the imported one, or the edge stack's `CertificateArn`
   * output read by Fn::GetStackOutput (a weak reference, so it may change without a deadlock).
   */
  readonly certificateArn: string;
  /** Name of the SES identity the app sends from (the SES domain; the edge stack creates it). */
  readonly sesIdentityName: string;
}

/**
 * The running app: ECS cluster, the api and web services and the migrate task from one
 * image, the public load balancer and its DNS names. The release is the ImageTag parameter.
 */
export class ServiceStack extends Stack {
  readonly imageTag: CfnParameter;
  readonly cluster: ecs.Cluster;
  readonly loadBalancer: PublicLoadBalancer;
  /** The WAF web ACL on the load balancer (WAF_ENABLED). */
  readonly firewall?: WebFirewall;
  readonly api: AppService;
  readonly web: AppService;
  readonly migrate: MigrateTask;
  readonly migrateBeforeRoll: MigrateBeforeRoll;
  readonly greenGate: GreenGateHook;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, vpc, data } = props;
    const { database, redis, attachments, appSecrets } = data;
    const names = resourceNames(config.appName, config.account, config.region);

    // CloudFormation keeps the previous value when a deploy does not pass one, so a plain
    // `cdk deploy` never reverts the running release.
    this.imageTag = new CfnParameter(this, IMAGE_TAG_PARAMETER, {
      type: 'String',
      description: 'Release to run: a tag of the app image in the ECR repository',
      allowedPattern: IMAGE_TAG_PATTERN,
      ...(config.release.imageTag ? { default: config.release.imageTag } : {}),
    });
    const release = this.imageTag.valueAsString;
    // Kept like ImageTag; a new value replaces the tasks (after a secret rotation or a cutover).
    const rollout = new CfnParameter(this, ROLLOUT_PARAMETER, {
      type: 'String',
      default: '0',
      description: 'Change to roll the api and web tasks without a new release (they re-read their secrets)',
      allowedPattern: '^[A-Za-z0-9_.:-]{1,64}$',
    });
    const image = new ReleaseImage(props.repository, props.repositoryUri, release);
    const cpuArchitecture =
      config.services.cpuArchitecture === 'ARM64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64;

    // ECS Exec sessions are logged: an audit trail of what operators ran in production.
    const execLogs = new logs.LogGroup(this, 'ExecLogs', { retention: config.logRetentionDays, removalPolicy: RemovalPolicy.RETAIN });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: names.cluster,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      executeCommandConfiguration: {
        logging: ecs.ExecuteCommandLogging.OVERRIDE,
        logConfiguration: { cloudWatchLogGroup: execLogs },
      },
      defaultCloudMapNamespace: {
        name: names.serviceConnectNamespace,
        type: servicediscovery.NamespaceType.HTTP,
        useForServiceConnect: true,
      },
    });

    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.domain.hostedZoneId,
      zoneName: config.domain.hostedZoneName,
    });
    this.loadBalancer = new PublicLoadBalancer(this, 'Edge', {
      vpc,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      hostedZone,
      domainName: config.domain.domainName,
      accessLogsBucket: data.logs.bucket,
      idleTimeoutSeconds: config.albIdleTimeoutSeconds,
    });
    const wafLogs = wafLogGroup(this, 'WafLogs', config.appName, config.logRetentionDays);
    if (config.waf.enabled) {
      this.firewall = new WebFirewall(this, 'Firewall', {
        loadBalancerArn: this.loadBalancer.loadBalancer.loadBalancerArn,
        namePrefix: config.appName,
        mode: config.waf.mode,
        rateLimitPer5Minutes: config.waf.rateLimitPer5Minutes,
        logGroup: wafLogs,
      });
    }

    // The api signs in with its own login (data access only), migrate as the owner; each reads
    // its password again while running, so a rotation needs no restart.
    const logins = databaseLogins(database.secret, database.appSecret);
    // verify-full: the tasks check the RDS certificate and its host name against the CA bundle
    // in the image, so a man in the middle cannot pose as the database.
    const databaseTls = { DB_SSL: 'verify-full', DB_SSL_CA_FILE: IMAGE_RDS_CA_BUNDLE };
    const common = {
      SLIPWAY_ENV: 'production',
      SLIPWAY_RELEASE: release,
      APP_URL: config.appUrl,
      TRUSTED_PROXY_CIDRS: vpc.vpcCidrBlock,
      SLIPWAY_SHUTDOWN_HOLD_SECONDS: String(config.shutdown.holdSeconds),
      // The app's own drain limit matches the one ECS's stop timeout was sized for.
      SLIPWAY_SHUTDOWN_DRAIN_SECONDS: String(config.shutdown.drainSeconds),
      LOG_LEVEL: 'info',
      SLIPWAY_ROLLOUT_ID: rollout.valueAsString,
    };
    const shared = {
      namePrefix: config.appName,
      cluster: this.cluster,
      image,
      cpuArchitecture,
      listener: this.loadBalancer.httpsListener,
      loadBalancer: this.loadBalancer.loadBalancer,
      deployment: config.deployment,
      deregistrationDelaySeconds: config.shutdown.deregistrationDelaySeconds,
      stopTimeoutSeconds: config.shutdown.stopTimeoutSeconds,
      logRetention: config.logRetentionDays,
      execLogGroup: execLogs,
    };

    this.api = new AppService(this, 'Api', {
      ...shared,
      containerName: CONTAINER_NAMES.api,
      command: ['api'],
      containerPort: API_PORT,
      // Liveness, not readiness: ECS replaces tasks that fail the target group's health check
      // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html), and
      // readiness fails on every task at once while the database or Redis fails over, which
      // would churn all of them for nothing. Readiness gates releases (the green gate, the smoke gate).
      healthCheckPath: '/api/health',
      pathPatterns: ['/api', '/api/*'],
      priority: 10,
      testPort: TEST_PORTS.api,
      serviceConnectServer: true,
      ...config.services.api,
      memoryLimitMiB: config.services.api.memoryMiB,
      environment: {
        ...common,
        API_PORT: String(API_PORT),
        ...databaseTls,
        REDIS_HOST: redis.endpointAddress,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_TLS: 'true',
        S3_BUCKET: attachments.bucket.bucketName,
        AWS_REGION: this.region,
        SENDER_EMAIL: config.email.senderEmail,
        ...logins.api.environment,
        ...(config.oauth.githubClientId ? { GITHUB_CLIENT_ID: config.oauth.githubClientId } : {}),
        ...(config.oauth.googleClientId ? { GOOGLE_CLIENT_ID: config.oauth.googleClientId } : {}),
      },
      secrets: {
        ...logins.api.secrets,
        REDIS_AUTH_TOKEN: ecs.Secret.fromSecretsManager(redis.authToken),
        SESSION_SECRET: ecs.Secret.fromSecretsManager(appSecrets.sessionSecret),
        METRICS_TOKEN: ecs.Secret.fromSecretsManager(appSecrets.metricsToken),
        CREDENTIALS_ENCRYPTION_KEY: ecs.Secret.fromSecretsManager(appSecrets.credentialsEncryptionKey),
        ...(appSecrets.oauthClientSecrets.github ? { GITHUB_CLIENT_SECRET: ecs.Secret.fromSecretsManager(appSecrets.oauthClientSecrets.github) } : {}),
        ...(appSecrets.oauthClientSecrets.google ? { GOOGLE_CLIENT_SECRET: ecs.Secret.fromSecretsManager(appSecrets.oauthClientSecrets.google) } : {}),
      },
    });

    this.web = new AppService(this, 'Web', {
      ...shared,
      containerName: CONTAINER_NAMES.web,
      command: ['web'],
      containerPort: WEB_PORT,
      healthCheckPath: '/health',
      // A rule, not only the default action: ECS moves traffic by rewriting a listener rule.
      pathPatterns: ['/*'],
      priority: 20,
      listenerDefault: true,
      testPort: TEST_PORTS.web,
      ...config.services.web,
      memoryLimitMiB: config.services.web.memoryMiB,
      environment: {
        ...common,
        WEB_PORT: String(WEB_PORT),
        // Service Connect resolves `api` to the api tasks inside the VPC.
        WEB_API_UPSTREAM_URL: `http://${CONTAINER_NAMES.api}:${API_PORT}`,
      },
    });
    // web's Service Connect proxy must find the api endpoint when it starts.
    this.web.service.node.addDependency(this.api.service);
    this.greenGate = new GreenGateHook(this, 'GreenGate', {
      vpc,
      loadBalancer: this.loadBalancer.loadBalancer,
      metricsToken: appSecrets.metricsToken,
      smokeTokenSecretArn: config.deployment.smokeTokenSecretArn,
      budgetSeconds: config.deployment.testBudgetSeconds,
      logRetention: config.logRetentionDays,
    });
    this.greenGate.allowTestListener('api', TEST_PORTS.api);
    this.greenGate.allowTestListener('web', TEST_PORTS.web);
    if (config.deployment.strategy === 'blue-green') {
      this.greenGate.gate(this.api, 'api', TEST_PORTS.api, release);
      this.greenGate.gate(this.web, 'web', TEST_PORTS.web, release);
    }
    this.allowIngress('WebToApi', this.api.securityGroup, this.web.securityGroup, API_PORT, 'web to api (Service Connect)');

    this.migrate = new MigrateTask(this, 'Migrate', {
      vpc,
      image,
      family: names.migrateFamily,
      containerName: CONTAINER_NAMES.migrate,
      cpu: config.services.migrate.cpu,
      memoryLimitMiB: config.services.migrate.memoryMiB,
      cpuArchitecture,
      environment: {
        ...databaseTls,
        MIGRATE_CONNECT_TIMEOUT_SECONDS: '60',
        LOG_LEVEL: 'info',
        SLIPWAY_RELEASE: release,
        ...logins.migrate.environment,
      },
      secrets: logins.migrate.secrets,
      logRetention: config.logRetentionDays,
    });

    // Only the api tasks and one-off tasks reach the database; only the api reaches Redis.
    // The rules live in this stack so the data stack never depends on it.
    const dbPort = config.database.port;
    this.allowIngress('ApiToDatabase', database.securityGroup, this.api.securityGroup, dbPort, 'api to PostgreSQL');
    const tasksToDatabase = this.allowIngress('TasksToDatabase', database.securityGroup, this.migrate.securityGroup, dbPort, 'one-off tasks to PostgreSQL');
    this.allowIngress('ApiToRedis', redis.securityGroup, this.api.securityGroup, REDIS_PORT, 'api to Redis');

    // Only the secrets each process reads itself: the api its login's, migrate the owner's and
    // the api login's (whose password it sets).
    logins.grantRead({ api: this.api.taskDefinition.taskRole, migrate: this.migrate.taskDefinition.taskRole });

    new ApiPermissions(this, 'ApiPermissions', {
      role: this.api.taskDefinition.taskRole,
      attachmentsBucketName: attachments.bucketName,
      sesIdentityName: props.sesIdentityName,
      senderEmail: config.email.senderEmail,
    });

    const privateSubnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnets;
    this.migrateBeforeRoll = new MigrateBeforeRoll(this, 'MigrateBeforeRoll', {
      cluster: this.cluster,
      migrate: this.migrate,
      imageTag: release,
      databaseEngineVersion: config.database.engineVersion,
      subnets: privateSubnets,
      timeout: Duration.minutes(config.services.migrateTimeoutMinutes),
      logRetention: config.logRetentionDays,
    });
    // The first migration must not start before its task may reach the database.
    this.migrateBeforeRoll.resource.node.addDependency(tasksToDatabase);
    this.migrateBeforeRoll.gate(this.api.service);
    this.migrateBeforeRoll.gate(this.web.service);

    const out = (key: string, value: string) => new CfnOutput(this, key, { value });
    out(OUTPUT_KEYS.appUrl, config.appUrl);
    out(OUTPUT_KEYS.albDnsName, this.loadBalancer.dnsName);
    out(OUTPUT_KEYS.clusterName, this.cluster.clusterName);
    out(OUTPUT_KEYS.apiServiceName, this.api.service.serviceName);
    out(OUTPUT_KEYS.webServiceName, this.web.service.serviceName);
    out(OUTPUT_KEYS.migrateTaskFamily, this.migrate.taskDefinition.family);
    out(OUTPUT_KEYS.migrateContainerName, this.migrate.containerName);
    out(OUTPUT_KEYS.taskSubnetIds, Fn.join(',', privateSubnets.map((s) => s.subnetId)));
    out(OUTPUT_KEYS.taskSecurityGroupId, this.migrate.securityGroup.securityGroupId);
    out(OUTPUT_KEYS.runningImageTag, release);
    out(OUTPUT_KEYS.imageTagParameterName, IMAGE_TAG_PARAMETER);
    out(OUTPUT_KEYS.releaseHistoryPrefix, names.releaseHistoryPrefix);
    out(OUTPUT_KEYS.greenGateLogGroupName, this.greenGate.logGroup.logGroupName);
  }

  /** One TCP ingress rule on `target` from `source`, created in this stack. */
  private allowIngress(id: string, target: ec2.ISecurityGroup, source: ec2.ISecurityGroup, port: number, description: string): ec2.CfnSecurityGroupIngress {
    return new ec2.CfnSecurityGroupIngress(this, id, {
      groupId: target.securityGroupId,
      sourceSecurityGroupId: source.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description,
    });
  }
}
