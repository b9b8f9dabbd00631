/**
 * A real S3-compatible server for tests: s3rver on a free loopback port with one bucket,
 * path-style, its fixed credentials in the environment (the SDK reads them from there).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../test/support/servers.ts';

interface S3rverInstance {
  run(): Promise<unknown>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface TestS3 {
  readonly url: string;
  readonly bucket: string;
  /** Settings that point the API at this server. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startS3(bucket: string): Promise<TestS3> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'slipway-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  await server.run();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    bucket,
    env: { S3_BUCKET: bucket, AWS_REGION: 'eu-west-1', S3_ENDPOINT: url },
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
