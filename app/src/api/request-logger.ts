/**
 * The logger fastify hands every request (`request.log`). Fastify makes a child logger per
 * request to bind its id; a pino child serializes its bindings (through redaction) when it is
 * made, which is a measurable share of a health check, and most requests never log through
 * it (the access log line is written by the telemetry hook with the id in it). This one makes
 * the pino child only when the request first logs.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type LevelMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export class RequestLogger {
  #real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The pino child, made on first use. */
  get real(): Logger {
    return (this.#real ??= this.parent.child(this.bindings, this.options));
  }

  /** Whose level decides: the parent's, unless the route gave the child a level of its own. */
  get #levels(): Logger {
    return this.#real ?? (this.options.level === undefined ? this.parent : this.real);
  }

  get level(): string {
    return this.#levels.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.#levels.isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real.child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  silent(): void {}

  #log(level: LevelMethod, args: unknown[]): void {
    // Below the level nothing is written, so there is no need for the child either.
    if (level === 'silent' || !this.#levels.isLevelEnabled(level)) return;
    (this.real[level] as (...a: unknown[]) => void)(...args);
  }
}

/** For fastify's `childLoggerFactory` option. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
