import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface AppDashboardProps {
  /** Dashboard name, e.g. `slipway`. */
  readonly dashboardName: string;
  /** Alarms to show by title, one graph each, in order. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
}

/** One CloudWatch dashboard: the alarm status overview, then one graph per alarm. */
export class AppDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: AppDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(props.alarms), width: 24, height: 4 }),
    );
    const graphs = Object.entries(props.alarms).map(
      ([title, alarm]) => new cloudwatch.AlarmWidget({ alarm, title, width: 8, height: 6 }),
    );
    for (let i = 0; i < graphs.length; i += 3) this.dashboard.addWidgets(...graphs.slice(i, i + 3));
  }
}
