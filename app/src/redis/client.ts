import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/redis.ts';

/**
 * A command on a connection that is open but silent (a node that hung, a failover that left the
 * old primary's connection up) fails after this long instead of waiting minutes for TCP: the
 * rate limiter then counts in memory and sign-in goes on. Redis answers in well under 1 ms here.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

/**
 * A Redis client that fails fast instead of queueing commands while disconnected, so a Redis
 * outage degrades readiness and rate limiting rather than hanging requests. The subscriber's
 * connection has no command timeout: it only subscribes, and waits on messages by design.
 */
export function createRedis(config: RedisConfig, log: Logger, name = 'main'): Redis {
  const redis = new Redis({
    ...config.options,
    connectionName: `slipway-${name}`,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: name === 'subscriber',
    connectTimeout: 5000,
    commandTimeout: name === 'subscriber' ? undefined : REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // One line per distinct failure, not one per reconnect attempt.
    if (error.message !== lastError) log.warn({ error: error.message, target: config.target, connection: name }, 'redis connection error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    if (lastError) log.info({ target: config.target, connection: name }, 'redis connection restored');
    lastError = '';
  });
  return redis;
}
