import { CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import type { SlipwayConfig } from '../config.ts';
import { appAlarmSpecs } from '../constructs/alarm-specs.ts';
import { AlarmTopic } from '../constructs/alarm-topic.ts';
import { AppAlarms } from '../constructs/alarms.ts';
import { AppDashboard } from '../constructs/dashboard.ts';
import { resourceNames } from '../names.ts';
import { MONITORED_DB_PARAMETER, OUTPUT_KEYS } from '../outputs.ts';
import type { DataStack } from './data-stack.ts';
import type { ServiceStack } from './service-stack.ts';

export interface ObservabilityStackProps extends StackProps {
  readonly config: SlipwayConfig;
  readonly data: Pick<DataStack, 'database' | 'redis'>;
  readonly service: Pick<ServiceStack, 'loadBalancer' | 'cluster' | 'api' | 'web'>;
}

/** The alarm topic, the alarms on every tier and one dashboard. */
export class ObservabilityStack extends Stack {
  readonly topic: AlarmTopic;
  readonly alarms: AppAlarms;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, data, service } = props;
    const names = resourceNames(config.appName, config.account, config.region);
    // The database alarms follow the instance in use, which a cutover changes (see outputs.ts).
    const monitored = new CfnParameter(this, MONITORED_DB_PARAMETER, {
      type: 'String',
      default: names.dbInstanceIdentifier,
      description: 'RDS instance the database alarms watch: the stack\'s own, or the copy a restore-drill cutover moved the app to',
      allowedPattern: '^[a-zA-Z][a-zA-Z0-9-]{0,62}$',
    });
    // Only the identifier is read: the alarms select metrics by DBInstanceIdentifier.
    const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, 'MonitoredDatabase', {
      instanceIdentifier: monitored.valueAsString,
      instanceEndpointAddress: '',
      port: 5432,
      securityGroups: [],
    });

    this.topic = new AlarmTopic(this, 'AlarmTopic', {
      topicName: names.alarmTopic,
      alarmNamePrefix: names.alarmPrefix,
      email: config.alarmEmail,
    });
    this.alarms = new AppAlarms(this, 'Alarms', {
      namePrefix: names.alarmPrefix,
      topic: this.topic.topic,
      specs: appAlarmSpecs({
        loadBalancer: service.loadBalancer.loadBalancer,
        clusterName: service.cluster.clusterName,
        services: {
          api: { serviceName: service.api.service.serviceName, targetGroups: [service.api.targetGroup, service.api.blueGreen.alternateTargetGroup] },
          web: { serviceName: service.web.service.serviceName, targetGroups: [service.web.targetGroup, service.web.blueGreen.alternateTargetGroup] },
        },
        database,
        databaseInstanceClass: config.database.instanceClass,
        databaseAllocatedStorageGiB: config.database.allocatedStorageGiB,
        redisMemberIds: data.redis.memberClusterIds,
      }),
    });
    const dashboard = new AppDashboard(this, 'Dashboard', {
      dashboardName: names.dashboard,
      alarms: this.alarms.alarms,
    });

    new CfnOutput(this, OUTPUT_KEYS.alarmTopicArn, { value: this.topic.topic.topicArn });
    new CfnOutput(this, OUTPUT_KEYS.dashboardName, { value: dashboard.dashboard.dashboardName });
  }
}
