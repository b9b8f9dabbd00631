/**
 * resourceChanges over hand-written templates: what cloudformation-diff reports, with the one
 * correction the kit makes (a custom resource's changed property is an update; the diff rates it
 * NO_CHANGE because the type is not in the CloudFormation spec).
 */
import { describe, expect, it } from 'vitest';
import { resourceChanges } from '../policies/change-safety.ts';

const custom = (properties: Record<string, unknown>) => ({
  stack: {
    Resources: {
      Migration: { Type: 'Custom::SlipwayMigrateBeforeRoll', Properties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:f', ...properties } },
    },
  },
});

describe('resourceChanges', () => {
  it('reports a changed property of a custom resource as an update (CloudFormation sends its handler an Update)', () => {
    const changes = resourceChanges(custom({ ImageTag: 'a', DatabaseEngineVersion: '16' }), custom({ ImageTag: 'a', DatabaseEngineVersion: '17' }));
    expect(changes).toEqual([{ stack: 'stack', logicalId: 'Migration', type: 'Custom::SlipwayMigrateBeforeRoll', impact: 'update', properties: { DatabaseEngineVersion: 'update' } }]);
  });

  it('keeps the spec-rated impact of a typed resource (a new bucket name replaces the bucket)', () => {
    const bucket = (name: string) => ({ stack: { Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: name } } } } });
    expect(resourceChanges(bucket('a'), bucket('b'))).toMatchObject([{ logicalId: 'Bucket', impact: 'replace', properties: { BucketName: 'replace' } }]);
  });
});
