import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** One alarm, described as data. */
export interface AlarmSpec {
  /** What the alarm means and what to look at first. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** @default GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparison?: cloudwatch.ComparisonOperator;
  /** @default 3 */
  readonly evaluationPeriods?: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** @default NOT_BREACHING */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

export interface AppAlarmsProps {
  /** Prefix of the alarm names, e.g. `slipway`. */
  readonly namePrefix: string;
  /** The alarms, keyed by a stable id (it becomes part of the name and construct id). */
  readonly specs: Readonly<Record<string, AlarmSpec>>;
  /** Topic notified on ALARM and OK. */
  readonly topic: sns.ITopic;
}

/** Builds one CloudWatch alarm per spec, each notifying the topic on ALARM and on OK. */
export class AppAlarms extends Construct {
  readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: AppAlarmsProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.topic);
    for (const [key, spec] of Object.entries(props.specs)) {
      const evaluationPeriods = spec.evaluationPeriods ?? 3;
      const alarm = new cloudwatch.Alarm(this, key, {
        alarmName: `${props.namePrefix}-${key}`,
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm ?? evaluationPeriods,
        treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms[key] = alarm;
    }
  }
}

/** Period of most alarms. */
export const ALARM_PERIOD = Duration.minutes(5);
