import { DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildAndPush, detectBuilder, releaseTag } from '../lib/image.ts';
import { fakeRunner } from './support/fake-runner.ts';

const ecr = new ECRClient({ region: 'eu-west-1' });
const mock = mockClient(ecr);
const URI = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway';
let pushed = false;

beforeEach(() => {
  mock.reset();
  pushed = false;
  mock.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64'), proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' }] });
  mock.on(DescribeImagesCommand).callsFake(() => {
    if (!pushed) throw Object.assign(new Error('nope'), { name: 'ImageNotFoundException' });
    return { imageDetails: [{ imageDigest: 'sha256:abc' }] };
  });
});

const base = { ecr, repositoryUri: URI, repositoryName: 'slipway', tag: 't1', platform: 'linux/amd64', commit: 'c0ffee', log: () => undefined };

describe('image build and push', () => {
  it('buildah builds with chroot isolation and pushes with the docker:// transport', async () => {
    const runner = fakeRunner([
      { match: /^buildah login/, result: {} },
      { match: /^buildah build/, result: {} },
      { match: /^buildah push/, respond: () => ((pushed = true), {}) },
    ]);
    const out = await buildAndPush({ ...base, runner, builder: 'buildah' });
    expect(out).toEqual({ digest: 'sha256:abc', built: true });
    expect(runner.calls.slice(1)).toEqual([
      `buildah build --isolation chroot --platform linux/amd64 -f app/Dockerfile -t ${URI}:t1 --build-arg SLIPWAY_COMMIT=c0ffee --build-arg SLIPWAY_RELEASE=t1 .`,
      `buildah push ${URI}:t1 docker://${URI}:t1`,
    ]);
  });

  it('a failed build stops with the builder\'s last lines', async () => {
    const runner = fakeRunner([
      { match: /^docker login/, result: {} },
      { match: /^docker buildx/, result: { exitCode: 1, stderr: 'ERROR: failed to solve: npm ci exited 1' } },
    ]);
    await expect(buildAndPush({ ...base, runner, builder: 'docker' })).rejects.toThrow('`docker buildx build --platform` exited 1: ERROR: failed to solve: npm ci exited 1');
  });

  it('prefers docker with a running engine, then podman, then buildah', async () => {
    expect(await detectBuilder(fakeRunner([{ match: /^podman/, result: {} }]))).toBe('podman');
    expect(await detectBuilder(fakeRunner([{ match: /^docker info/, result: { exitCode: 1 } }, { match: /^buildah/, result: {} }]))).toBe('buildah');
    expect(await detectBuilder(fakeRunner([]))).toBeUndefined();
  });

  it('tags a clean tree with the short commit and a dirty one uniquely', () => {
    expect(releaseTag({ commit: '0123456789abcdef', dirty: false }, new Date())).toBe('0123456789ab');
    expect(releaseTag({ commit: '0123456789abcdef', dirty: true }, new Date('2026-03-02T10:11:12Z'))).toBe('0123456789ab-dirty-20260302T101112');
  });
});
