/**
 * Fixed-window rate limiting: at most `limit` hits per key per window.
 *
 * With Redis every API replica shares the counters (one atomic Lua script: INCR, and PEXPIRE
 * on the first hit of a window). Without Redis, or while Redis is unreachable, counting falls
 * back to this process's memory, so a Redis outage degrades limits to per-node rather than
 * failing sign-in.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RateLimitRule {
  /** Hits allowed per window. */
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface RateLimitResult {
  readonly allowed: boolean;
  /** Hits counted in the current window, this one included. */
  readonly count: number;
  readonly remaining: number;
  /** Seconds until the window resets (at least 1). */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts one hit for `key` under `rule` and says whether it is within the limit. */
  hit(key: string, rule: RateLimitRule): Promise<RateLimitResult>;
  /** Which store counted the last hit; for tests and diagnostics. */
  readonly backend: 'redis' | 'memory';
}

function result(count: number, rule: RateLimitRule, ttlMs: number): RateLimitResult {
  return {
    allowed: count <= rule.limit,
    count,
    remaining: Math.max(0, rule.limit - count),
    retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
  };
}

/** Counters in this process's memory. Expired windows are swept so memory stays bounded. */
export class MemoryRateLimiter implements RateLimiter {
  readonly backend = 'memory' as const;
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private lastSweep = 0;

  constructor(
    private readonly now: () => number = Date.now,
    /** Hard cap on tracked keys; the oldest are dropped first when it is reached. */
    private readonly maxKeys = 100_000,
  ) {}

  async hit(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    return this.hitSync(key, rule);
  }

  hitSync(key: string, rule: RateLimitRule): RateLimitResult {
    const now = this.now();
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (window) this.windows.delete(key);
      window = { count: 0, resetAt: now + rule.windowSeconds * 1000 };
      this.windows.set(key, window);
      if (this.windows.size > this.maxKeys) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
    }
    window.count += 1;
    return result(window.count, rule, window.resetAt - now);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

// INCR, then set the window's expiry on its first hit. A key left without an expiry (it can
// only happen if something else wrote it) gets one, so no counter lives forever.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/** Counters in Redis shared by every replica, falling back to memory while Redis fails. */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback: MemoryRateLimiter;
  private lastBackend: 'redis' | 'memory' = 'redis';
  private lastWarning = 0;
  private connected = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix?: string; log?: Logger; now?: () => number } = {},
  ) {
    this.fallback = new MemoryRateLimiter(options.now);
  }

  get backend(): 'redis' | 'memory' {
    return this.lastBackend;
  }

  /**
   * Right after start the connection may still be opening (commands fail fast rather than
   * queue): wait for it briefly once, so replicas share counts from the first request. Later
   * outages fall back at once instead of slowing every request.
   */
  private async firstConnection(): Promise<void> {
    if (this.connected || this.redis.status === 'ready') {
      this.connected = true;
      return;
    }
    if (this.redis.status !== 'connecting' && this.redis.status !== 'connect') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      this.redis.once('ready', done);
    });
    this.connected = true;
  }

  async hit(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const windowMs = rule.windowSeconds * 1000;
    await this.firstConnection();
    try {
      const reply = (await this.redis.eval(HIT_SCRIPT, 1, `${this.options.prefix ?? 'slipway:ratelimit:'}${key}`, windowMs)) as [number, number];
      this.lastBackend = 'redis';
      return result(Number(reply[0]), rule, Number(reply[1]));
    } catch (error) {
      this.lastBackend = 'memory';
      const now = Date.now();
      if (now - this.lastWarning > 60_000) {
        this.lastWarning = now;
        this.options.log?.warn({ error: (error as Error).message }, 'rate limiter cannot reach redis; counting in this process until it returns');
      }
      return this.fallback.hitSync(key, rule);
    }
  }
}

export function createRateLimiter(options: { redis?: Redis; log?: Logger; prefix?: string; now?: () => number } = {}): RateLimiter {
  return options.redis ? new RedisRateLimiter(options.redis, options) : new MemoryRateLimiter(options.now);
}
