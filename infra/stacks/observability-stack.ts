import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { SlipwayConfig } from '../config.ts';
import { appAlarmSpecs } from '../constructs/alarm-specs.ts';
import { AlarmTopic } from '../constructs/alarm-topic.ts';
import { AppAlarms } from '../constructs/alarms.ts';
import { AppDashboard } from '../constructs/dashboard.ts';
import { resourceNames } from '../names.ts';
import { OUTPUT_KEYS } from '../outputs.ts';
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
          api: { serviceName: service.api.service.serviceName, targetGroup: service.api.targetGroup },
          web: { serviceName: service.web.service.serviceName, targetGroup: service.web.targetGroup },
        },
        database: data.database.instance,
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
