/** The stateful deploy guard: deployed templates (GetTemplate) against the synthesized ones. */
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { STATEFUL_TYPES as SHARED_TYPES } from '../../infra/policies/stateful-resources.ts';
import { assemblyTemplates, describeRisk, guardDeployment, guardTemplates, STATEFUL_TYPES } from '../lib/diff-guard.ts';
import { sampleTemplates, serveDeployedTemplates, writeAssembly } from './support/templates.ts';

const cfn = new CloudFormationClient({ region: 'eu-west-1' });
const mock = mockClient(cfn);
afterEach(() => mock.reset());

const risksOf = (deployed: Record<string, any>, synthesized: Record<string, any>) => guardTemplates(deployed, synthesized).risks.map(describeRisk);

describe('deploy guard', () => {
  it('uses the one list of stateful types, with subnet groups, parameter groups, log groups and KMS keys', () => {
    expect(STATEFUL_TYPES).toBe(SHARED_TYPES);
    for (const type of ['AWS::RDS::DBSubnetGroup', 'AWS::ElastiCache::SubnetGroup', 'AWS::RDS::DBParameterGroup', 'AWS::Logs::LogGroup', 'AWS::KMS::Key']) expect(STATEFUL_TYPES).toContain(type);
  });

  it('passes a release that only changes the task definition', () => {
    const next = sampleTemplates('bbbbbbbbbbbb');
    next['slipway-service'].Resources.ApiTaskDef12345.Properties.Cpu = '512';
    const report = guardTemplates(sampleTemplates(), next);
    expect(report.risks).toEqual([]);
    expect(report.changes.map((c) => `${c.stack} ${c.logicalId} ${c.impact}`)).toEqual(['slipway-service ApiTaskDef12345 replace']);
  });

  it('refuses a database replaced by a property that requires replacement', () => {
    const next = sampleTemplates();
    next['slipway-data'].Resources.DatabaseB269D8BB.Properties.DBName = 'other';
    expect(risksOf(sampleTemplates(), next)).toEqual(['slipway-data: AWS::RDS::DBInstance DatabaseB269D8BB would be REPLACED (DBName)']);
  });

  it('refuses a subnet group, parameter group, log group or key that would be deleted', () => {
    const deployed = sampleTemplates();
    Object.assign(deployed['slipway-data'].Resources, {
      DbSubnets1: { Type: 'AWS::RDS::DBSubnetGroup', Properties: { DBSubnetGroupDescription: 'x', SubnetIds: ['a', 'b'] } },
      DbParams1: { Type: 'AWS::RDS::DBParameterGroup', Properties: { Family: 'postgres17', Description: 'x' } },
      Logs1: { Type: 'AWS::Logs::LogGroup', Properties: {} },
      Key1: { Type: 'AWS::KMS::Key', Properties: {} },
    });
    expect(risksOf(deployed, sampleTemplates())).toEqual([
      'slipway-data: AWS::RDS::DBSubnetGroup DbSubnets1 would be DELETED',
      'slipway-data: AWS::RDS::DBParameterGroup DbParams1 would be DELETED',
      'slipway-data: AWS::Logs::LogGroup Logs1 would be DELETED',
      'slipway-data: AWS::KMS::Key Key1 would be DELETED',
    ]);
  });

  it('refuses removing an output that a deployed stack still reads', () => {
    const deployed = sampleTemplates();
    deployed['slipway-service'].Resources.ApiTaskDef12345.Properties.TaskRoleArn = { 'Fn::GetStackOutput': { StackName: 'slipway-data', OutputName: 'DbSecretArn' } };
    const next = { 'slipway-data': { ...deployed['slipway-data'], Outputs: {} } };
    expect(risksOf(deployed, next)).toEqual(['slipway-data: output DbSecretArn would be removed while slipway-service reads it (Fn::GetStackOutput)']);
  });

  it('reads the deployed templates with GetTemplate, and treats a missing stack as a first deploy', async () => {
    const deployed = { 'slipway-data': sampleTemplates()['slipway-data'] };
    serveDeployedTemplates(mock, () => deployed);
    const report = await guardDeployment(cfn, sampleTemplates(), ['slipway-data', 'slipway-service']);
    expect(report.risks).toEqual([]);
    expect(report.changes.filter((c) => c.stack === 'slipway-service').map((c) => c.impact)).toEqual(['create']);
    expect(mock.commandCalls(GetTemplateCommand).map((c) => c.args[0].input)).toEqual([
      { StackName: 'slipway-data', TemplateStage: 'Original' },
      { StackName: 'slipway-service', TemplateStage: 'Original' },
    ]);
  });

  it('fails with the stack name when the deployed template cannot be read', async () => {
    mock.on(GetTemplateCommand).rejects(new Error('AccessDenied: not allowed'));
    await expect(guardDeployment(cfn, sampleTemplates(), ['slipway-data'])).rejects.toThrow('could not read the deployed template of slipway-data: AccessDenied: not allowed');
  });

  it('refuses a deployed template that is not JSON', async () => {
    mock.on(GetTemplateCommand).resolves({ TemplateBody: 'Resources:\n  X: {}' });
    await expect(guardDeployment(cfn, sampleTemplates(), ['slipway-data'])).rejects.toThrow('the deployed template of slipway-data is not JSON');
  });
});

describe('assemblyTemplates', () => {
  it('reads each stack template of a cloud assembly by stack name', () => {
    const dir = writeAssembly(sampleTemplates());
    expect(Object.keys(assemblyTemplates(dir))).toEqual(['slipway-data', 'slipway-service']);
    expect(Object.keys(assemblyTemplates(dir, ['slipway-service']))).toEqual(['slipway-service']);
  });

  it('says to synthesize when there is no assembly', () => {
    expect(() => assemblyTemplates('/nonexistent-assembly')).toThrow('no cloud assembly in /nonexistent-assembly (manifest.json is missing): synthesize first (npx cdk synth)');
  });
});
