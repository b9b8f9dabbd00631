/**
 * Properties that the CloudFormation resource specification marks as "conditional"
 * replacement (cloudformation-diff reports MAY_REPLACE), checked one by one against the
 * CloudFormation reference. `in-place`: the reference says an update of that property does
 * not replace the resource for the changes this kit makes; `replaces`: it can, so the change
 * is refused. A conditional property not listed here is refused until someone checks it.
 */
export interface ConditionalVerdict {
  readonly verdict: 'in-place' | 'replaces';
  /** The CloudFormation reference page the verdict rests on. */
  readonly doc: string;
  /** What the reference says, in short. */
  readonly why: string;
}

const DB_INSTANCE_DOC = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html';

export const CONDITIONAL_UPDATES: Readonly<Record<string, Readonly<Record<string, ConditionalVerdict>>>> = {
  'AWS::RDS::DBInstance': {
    MultiAZ: {
      verdict: 'in-place',
      doc: DB_INSTANCE_DOC,
      why: 'MultiAZ: "Update requires: Some interruptions"; RDS builds or drops the standby on the same instance',
    },
    BackupRetentionPeriod: {
      verdict: 'in-place',
      doc: DB_INSTANCE_DOC,
      why: 'BackupRetentionPeriod: "Update requires: Some interruptions" (an outage only between 0 and non-zero; the kit never uses 0)',
    },
    DBParameterGroupName: {
      verdict: 'in-place',
      doc: DB_INSTANCE_DOC,
      why: 'DBParameterGroupName: "Update requires: Some interruptions"; the instance may reboot to apply static parameters',
    },
  },
};
