/**
 * After a reconnect, ioredis restores the subscriber's subscription with a SUBSCRIBE of its own.
 * Before ioredis 6.1.0 that command's rejection went unhandled (ioredis pull request 2187: "an
 * unhandled rejection ... terminates the process by default, even when the user has an error
 * listener"), so an api shutting down right after Redis came back, or a connection lost again
 * during the re-subscription, could end the process; a test run once failed on it. Now ioredis
 * hands it to the client's error listener (silent after a disconnect of our own, as here).
 */
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedis } from '../src/redis/client.ts';
import { startRedis, type TestRedis } from '../../test/support/servers.ts';

let server: TestRedis;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

it('a subscriber closed while it re-subscribes after a reconnect leaves no unhandled rejection behind', async () => {
  const log = pino({ level: 'silent' });
  const url = new URL(server.url);
  const subscriber = createRedis({ options: { host: url.hostname, port: Number(url.port) }, target: url.host }, log, 'subscriber');
  const admin = new Redis(server.url);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await subscriber.subscribe('slipway-test');
    // The second 'ready' comes after ioredis has sent the re-SUBSCRIBE (it emits status events
    // on the next tick). Closing then and cutting the socket at once (no reply can arrive any
    // more; ioredis's own disconnect ends it gracefully) leaves that command to fail.
    const resubscribing = new Promise<void>((resolve) => {
      subscriber.once('ready', () => {
        subscriber.disconnect();
        (subscriber as unknown as { stream: Socket }).stream.destroy();
        resolve();
      });
    });
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await resubscribing;
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    subscriber.disconnect();
    admin.disconnect();
  }
});
