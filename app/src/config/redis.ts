/**
 * Redis connection settings: REDIS_URL (redis:// or rediss:// with the password in it), or
 * the parts, because ECS injects the ElastiCache AUTH token as a secret of its own.
 */
import type { RedisOptions } from 'ioredis';
import { v } from './env.ts';

export const redisFields = {
  REDIS_URL: v.url(['redis:', 'rediss:']),
  REDIS_HOST: v.string(),
  REDIS_PORT: v.int(6379, 1, 65535),
  REDIS_TLS: v.bool(false),
  REDIS_AUTH_TOKEN: v.string(),
};

type RedisFields = {
  REDIS_URL?: string;
  REDIS_HOST?: string;
  REDIS_PORT: number;
  REDIS_TLS: boolean;
  REDIS_AUTH_TOKEN?: string;
};

export interface RedisConfig {
  readonly options: RedisOptions;
  /** host:port, for logs. */
  readonly target: string;
}

export function redisConfig(fields: RedisFields): RedisConfig | undefined {
  if (fields.REDIS_URL) {
    const url = new URL(fields.REDIS_URL);
    const tls = url.protocol === 'rediss:';
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
    return {
      options: {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 6379),
        username: url.username ? decodeURIComponent(url.username) : undefined,
        password: url.password ? decodeURIComponent(url.password) : fields.REDIS_AUTH_TOKEN,
        db: Number.isInteger(db) ? db : 0,
        ...(tls ? { tls: { servername: url.hostname } } : {}),
      },
      target: `${url.hostname}:${url.port || 6379}`,
    };
  }
  if (!fields.REDIS_HOST) return undefined;
  return {
    options: {
      host: fields.REDIS_HOST,
      port: fields.REDIS_PORT,
      password: fields.REDIS_AUTH_TOKEN,
      ...(fields.REDIS_TLS ? { tls: { servername: fields.REDIS_HOST } } : {}),
    },
    target: `${fields.REDIS_HOST}:${fields.REDIS_PORT}`,
  };
}
