/**
 * Stack templates for the stateful guard in the fake worlds: what CloudFormation holds
 * (GetTemplate, answered by the CloudFormation mock) and what `cdk diff` synthesized (a cloud
 * assembly written to a temp folder, as cdk.out would be).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { StackTemplates } from '../../../infra/policies/change-safety.ts';

/** A small app: a database and a bucket in the data stack, a task definition in the service stack. */
export function sampleTemplates(imageTag = 'aaaaaaaaaaaa'): Record<string, any> {
  return {
    'slipway-data': {
      Resources: {
        DatabaseB269D8BB: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot', Properties: { DBName: 'slipway', DBInstanceClass: 'db.t4g.medium' } },
        AttachmentsBucket1234: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { BucketName: 'slipway-attachments' } },
      },
      Outputs: { DbSecretArn: { Value: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db' } },
    },
    'slipway-service': {
      Parameters: { ImageTag: { Type: 'String', Default: imageTag } },
      Resources: { ApiTaskDef12345: { Type: 'AWS::ECS::TaskDefinition', Properties: { ContainerDefinitions: [{ Image: { Ref: 'ImageTag' } }] } } },
    },
  };
}

/** Writes `templates` as a cloud assembly and returns its folder. */
export function writeAssembly(templates: StackTemplates): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-assembly-'));
  const artifacts: Record<string, unknown> = {};
  for (const [stackName, template] of Object.entries(templates)) {
    const templateFile = `${stackName}.template.json`;
    writeFileSync(join(dir, templateFile), JSON.stringify(template));
    artifacts[stackName] = { type: 'aws:cloudformation:stack', properties: { templateFile, stackName } };
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '40.0.0', artifacts }));
  return dir;
}

/** GetTemplate answers from `deployed()`; a stack not in it does not exist. */
export function serveDeployedTemplates(cfn: AwsStub<any, any, any>, deployed: () => StackTemplates): void {
  cfn.on(GetTemplateCommand).callsFake((input: { StackName: string }) => {
    const template = deployed()[input.StackName];
    if (!template) throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
    return { TemplateBody: JSON.stringify(template) };
  });
}
