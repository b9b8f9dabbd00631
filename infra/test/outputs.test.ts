import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_NAMES, IMAGE_TAG_PARAMETER, ROLLOUT_PARAMETER, OUTPUT_KEYS, OUTPUT_STACK, STACK_KEYS, outputLocation, releaseHistoryPrefix, stackNames, type OutputName } from '../outputs.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
beforeAll(() => {
  prod = synthApp({ APP_NAME: 'acme-issues' });
});
afterAll(() => prod?.cleanup());

describe('shared names', () => {
  it('derives every stack name from APP_NAME', () => {
    expect(stackNames('acme')).toEqual({
      network: 'acme-network',
      data: 'acme-data',
      registry: 'acme-registry',
      edge: 'acme-edge',
      service: 'acme-service',
      observability: 'acme-observability',
    });
  });

  it('names the synthesized stacks that way', () => {
    for (const key of STACK_KEYS) expect(prod.stacks[key].stackName).toBe(`acme-issues-${key}`);
  });

  it('keeps the release history under /APP_NAME/releases', () => {
    expect(releaseHistoryPrefix('acme')).toBe('/acme/releases');
  });

  it('locates an output by stack and key', () => {
    expect(outputLocation('acme', 'dbSecretArn')).toEqual({ stackName: 'acme-data', outputKey: 'DbSecretArn' });
  });

  it('keeps the image-tag parameter and container names the scripts use', () => {
    expect(IMAGE_TAG_PARAMETER).toBe('ImageTag');
    expect(ROLLOUT_PARAMETER).toBe('RolloutId');
    expect(CONTAINER_NAMES).toEqual({ api: 'api', web: 'web', migrate: 'migrate' });
  });
});

describe('stack outputs', () => {
  it.each(Object.keys(OUTPUT_KEYS) as OutputName[])('%s is an output of the stack OUTPUT_STACK names', (name) => {
    prod.templates[OUTPUT_STACK[name]].hasOutput(OUTPUT_KEYS[name], {});
  });

  it('points one-off tasks at the security group the database accepts', () => {
    const taskSg = prod.templates.service.toJSON().Outputs.TaskSecurityGroupId.Value;
    const dbRules = Object.values(prod.templates.service.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes('DatabaseSecurityGroup'))
      .map((r) => r.Properties.SourceSecurityGroupId);
    expect(dbRules).toContainEqual(taskSg);
  });

  it('gives the app URL and migrate family as plain values', () => {
    prod.templates.service.hasOutput('AppUrl', { Value: 'https://tracker.example.com' });
    prod.templates.service.hasOutput('MigrateTaskFamily', { Value: 'acme-issues-migrate' });
    prod.templates.service.hasOutput('ReleaseHistoryPrefix', { Value: '/acme-issues/releases' });
    prod.templates.service.hasOutput('ImageTagParameterName', { Value: 'ImageTag' });
  });
});
