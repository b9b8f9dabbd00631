/**
 * The release image: tag it with the git commit, build it for the configured architecture with
 * whichever builder exists (docker, podman or buildah), push it to ECR. An image already in ECR
 * under the tag is reused (tags are immutable), so a rerun after an interruption skips the build.
 */
import { DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { runOrThrow, type CommandRunner } from './runner.ts';

export type Builder = 'docker' | 'podman' | 'buildah';

/** docker needs a running engine; podman and buildah build without one. */
export async function detectBuilder(runner: CommandRunner): Promise<Builder | undefined> {
  if ((await runner.run('docker', ['info', '--format', '{{.ServerVersion}}'])).exitCode === 0) return 'docker';
  if ((await runner.run('podman', ['--version'])).exitCode === 0) return 'podman';
  if ((await runner.run('buildah', ['--version'])).exitCode === 0) return 'buildah';
  return undefined;
}

export function platformOf(architecture: 'ARM64' | 'X86_64'): string {
  return architecture === 'ARM64' ? 'linux/arm64' : 'linux/amd64';
}

export interface GitState {
  readonly commit: string;
  readonly dirty: boolean;
}

export async function gitState(runner: CommandRunner): Promise<GitState> {
  const commit = (await runOrThrow(runner, 'git', ['rev-parse', 'HEAD'])).stdout.trim();
  const status = (await runOrThrow(runner, 'git', ['status', '--porcelain', '--untracked-files=no'])).stdout.trim();
  return { commit, dirty: status.length > 0 };
}

/** The release id: the short commit; a dirty build gets a unique suffix (ECR tags are immutable). */
export function releaseTag(git: GitState, now: Date): string {
  const short = git.commit.slice(0, 12);
  if (!git.dirty) return short;
  return `${short}-dirty-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
}

export async function imageDigest(ecr: ECRClient, repositoryName: string, tag: string): Promise<string | undefined> {
  try {
    const out = await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
    return out.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    if ((error as Error).name === 'ImageNotFoundException') return undefined;
    throw error;
  }
}

export interface BuildAndPushOptions {
  readonly ecr: ECRClient;
  readonly runner: CommandRunner;
  readonly builder: Builder;
  readonly repositoryUri: string;
  readonly repositoryName: string;
  readonly tag: string;
  readonly platform: string;
  readonly commit: string;
  readonly log: (line: string) => void;
  /** @default 'app/Dockerfile' */
  readonly dockerfile?: string;
}

export async function buildAndPush(o: BuildAndPushOptions): Promise<{ digest: string; built: boolean }> {
  const existing = await imageDigest(o.ecr, o.repositoryName, o.tag);
  if (existing) {
    o.log(`  image ${o.repositoryUri}:${o.tag} is already in ECR (${existing}); not rebuilding`);
    return { digest: existing, built: false };
  }
  const image = `${o.repositoryUri}:${o.tag}`;
  const dockerfile = o.dockerfile ?? 'app/Dockerfile';

  // Log in first: docker builds and pushes in one step.
  const auth = await o.ecr.send(new GetAuthorizationTokenCommand({}));
  const data = auth.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) throw new Error('ECR returned no authorization token');
  const [user, password] = Buffer.from(data.authorizationToken, 'base64').toString('utf8').split(':');
  const registry = new URL(data.proxyEndpoint).host;
  await runOrThrow(o.runner, o.builder, ['login', '--username', user ?? 'AWS', '--password-stdin', registry], { input: password });

  const common = ['--platform', o.platform, '-f', dockerfile, '-t', image, '--build-arg', `SLIPWAY_COMMIT=${o.commit}`, '--build-arg', `SLIPWAY_RELEASE=${o.tag}`];
  o.log(`  building ${image} for ${o.platform} with ${o.builder}`);
  if (o.builder === 'docker') {
    // buildx builds a foreign architecture (with QEMU) and pushes without loading the image locally.
    await runOrThrow(o.runner, 'docker', ['buildx', 'build', ...common, '--push', '.'], { timeoutMs: 60 * 60_000 });
  } else {
    const build = o.builder === 'buildah' ? ['build', '--isolation', 'chroot', ...common, '.'] : ['build', ...common, '.'];
    await runOrThrow(o.runner, o.builder, build, { timeoutMs: 45 * 60_000 });
    o.log(`  pushing ${image}`);
    await runOrThrow(o.runner, o.builder, o.builder === 'buildah' ? ['push', image, `docker://${image}`] : ['push', image], { timeoutMs: 30 * 60_000 });
  }

  const digest = await imageDigest(o.ecr, o.repositoryName, o.tag);
  if (!digest) throw new Error(`pushed ${image} but ECR does not list it`);
  return { digest, built: true };
}
