import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sam from 'aws-cdk-lib/aws-sam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../policies/acknowledge.ts';
import { LambdaLogRetention } from './lambda-log-retention.ts';

export interface DatabaseProps {
  /** The VPC; the instance goes into its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Identifier of the DB instance, also in its log group names, e.g. `slipway-db`. */
  readonly instanceIdentifier: string;
  /** Name of the generated master secret, e.g. `slipway/db/master`. */
  readonly secretName: string;
  /** RDS instance class, e.g. `db.t4g.medium`. */
  readonly instanceClass: string;
  /** PostgreSQL major version. */
  readonly engineVersion: '16' | '17';
  /** A standby in a second AZ with automatic failover. */
  readonly multiAz: boolean;
  /** Initial gp3 storage in GiB. */
  readonly allocatedStorageGiB: number;
  /** Ceiling for storage autoscaling in GiB. */
  readonly maxAllocatedStorageGiB: number;
  /** Days of automated backups (the point-in-time-restore window). */
  readonly backupRetentionDays: number;
  /** Blocks deletion of the instance (API and CloudFormation). */
  readonly deletionProtection: boolean;
  /** Retention of the exported PostgreSQL logs. */
  readonly logRetention: logs.RetentionDays;
  /**
   * TCP port the database listens on.
   * @default 5432
   */
  readonly port?: number;
  /**
   * Days between automatic rotations of the master password.
   * @default 30
   */
  readonly rotationDays?: number;
  /**
   * Name of the application database (the `dbname` field of the secret).
   * @default 'slipway'
   */
  readonly databaseName?: string;
  /**
   * Name of the generated secret of the api's own login (`APP_LOGIN_USERNAME`), rotated like the
   * master secret; migrate creates the role in the database with its password.
   * @default - no second login: the api signs in as the master user
   */
  readonly appSecretName?: string;
}

/** The api's database login: data access only; migrate (the master user, the owner) creates it. */
export const APP_LOGIN_USERNAME = 'slipway_app';

/**
 * What aws-cdk-lib's DatabaseSecret leaves out of generated passwords (its default), also for the
 * passwords the app login's rotation generates: none of them needs quoting anywhere.
 */
const PASSWORD_EXCLUDE_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\";

/**
 * RDS for PostgreSQL in isolated subnets: encrypted gp3, TLS-only, backups with
 * point-in-time restore, Performance Insights, exported logs and a rotated master secret.
 */
export class Database extends Construct implements ec2.IConnectable {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  /** The api's own login (`appSecretName`), attached to the instance (host, port, engine). */
  readonly appSecret?: secretsmanager.ISecret;
  readonly subnetGroup: rds.SubnetGroup;
  readonly parameterGroup: rds.ParameterGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const port = props.port ?? 5432;
    const databaseName = props.databaseName ?? 'slipway';
    const engine = rds.DatabaseInstanceEngine.postgres({
      version: props.engineVersion === '16' ? rds.PostgresEngineVersion.VER_16 : rds.PostgresEngineVersion.VER_17,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL: reachable only from the app tasks',
      allowAllOutbound: false,
    });
    this.subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      vpc: props.vpc,
      description: 'Isolated subnets for PostgreSQL',
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Slipway PostgreSQL: TLS required',
      parameters: {
        'rds.force_ssl': '1',
        log_min_duration_statement: '1000',
      },
    });
    const secret = new rds.DatabaseSecret(this, 'Secret', {
      username: 'slipway',
      dbname: databaseName,
      secretName: props.secretName,
    });
    // Kept with the final snapshot, so a restored database still has its credentials.
    secret.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.secret = secret;

    // Created up front so the exported logs get a retention instead of "never expire".
    const logGroups = ['postgresql', 'upgrade'].map(
      (kind) =>
        new logs.LogGroup(this, `${kind[0].toUpperCase()}${kind.slice(1)}Logs`, {
          logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${kind}`,
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    );

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine,
      instanceType: new ec2.InstanceType(props.instanceClass.replace(/^db\./, '')),
      vpc: props.vpc,
      subnetGroup: this.subnetGroup,
      securityGroups: [this.securityGroup],
      port,
      databaseName,
      credentials: rds.Credentials.fromSecret(secret),
      parameterGroup: this.parameterGroup,
      multiAz: props.multiAz,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageEncrypted: true,
      deletionProtection: props.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      backupRetention: Duration.days(props.backupRetentionDays),
      copyTagsToSnapshot: true,
      enablePerformanceInsights: true,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      iamAuthentication: true,
      autoMinorVersionUpgrade: true,
      // RDS refuses a new major EngineVersion (the upgrade runbook) without this; it allows
      // nothing by itself: the version only changes when DB_ENGINE_VERSION does.
      allowMajorVersionUpgrade: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      publiclyAccessible: false,
    });
    logGroups.forEach((group) => this.instance.node.addDependency(group));

    // The rotation Lambda runs in the private subnets: it needs the Secrets Manager API (NAT).
    const rotations = [
      this.instance.addRotationSingleUser({
        automaticallyAfter: Duration.days(props.rotationDays ?? 30),
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      }),
    ];

    if (props.appSecretName) {
      const app = this.addAppLogin(props.appSecretName, databaseName, props.rotationDays ?? 30, props.vpc);
      this.appSecret = app.secret;
      rotations.push(app.rotation);
    }
    // The rotation functions come from a serverless application and log to /aws/lambda/NAME.
    new LambdaLogRetention(this, 'RotationLogRetention', { functionNames: rotations.map(rotationFunctionName), retention: props.logRetention });

    this.connections = this.instance.connections;
    if (!props.multiAz) {
      acknowledge(
        this.instance,
        'AwsSolutions-RDS3',
        'Single-AZ by choice (DB_MULTI_AZ=false, the trial profile): point-in-time restore is the recovery path, at half the cost',
      );
    }
    if (port === 5432) {
      acknowledge(
        this.instance,
        'AwsSolutions-RDS11',
        'PostgreSQL keeps port 5432 by default (DB_INSTANCE_PORT changes it): the instance is in isolated subnets and its security group admits only the app tasks',
      );
    }
  }

  /**
   * The api's login: a generated secret like the master's, attached to the instance so it holds
   * host, port and engine, and rotated by the single-user strategy (the login changes its own
   * password; the api reads the new one from the secret and retries once after 28P01).
   * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html
   * The first rotation waits for the schedule: migrate creates the role on the first deploy of
   * the service stack, after this stack.
   */
  private addAppLogin(secretName: string, databaseName: string, rotationDays: number, vpc: ec2.IVpc): { secret: secretsmanager.ISecret; rotation: secretsmanager.SecretRotation } {
    const secret = new rds.DatabaseSecret(this, 'AppSecret', {
      username: APP_LOGIN_USERNAME,
      dbname: databaseName,
      secretName,
      excludeCharacters: PASSWORD_EXCLUDE_CHARACTERS,
    });
    secret.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const attached = secret.attach(this.instance);
    const rotation = new secretsmanager.SecretRotation(this, 'AppRotation', {
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret: attached,
      target: this.instance,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      automaticallyAfter: Duration.days(rotationDays),
      excludeCharacters: PASSWORD_EXCLUDE_CHARACTERS,
      rotateImmediatelyOnUpdate: false,
    });
    return { secret: attached, rotation };
  }
}

/** The function name a SecretRotation gives its serverless application (its `functionName` parameter). */
function rotationFunctionName(rotation: secretsmanager.SecretRotation): string {
  const application = rotation.node.defaultChild as sam.CfnApplication;
  return (application.parameters as Record<string, string>).functionName!;
}
