/**
 * JSON logs on stdout. Credentials never reach a log line: request headers that carry them
 * are redacted, and query strings are stripped of token-like parameters (OAuth `code` and
 * `state` included).
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-metrics-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.secret',
];

export function createLogger(options: { level: string; name: string; destination?: pino.DestinationStream }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

const SENSITIVE_QUERY = /^(token|code|state|key|secret|password|signature|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

/** Whether a query string may hold a sensitive parameter: a cheap test before parsing it. */
const MAYBE_SENSITIVE = /(?:^|[?&;])(?:token|code|state|key|secret|password|signature|x-amz-)/i;

/** The path with the values of sensitive query parameters replaced. */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  // Most query strings (?limit=50&status=open) name nothing sensitive: keep them as sent.
  if (!MAYBE_SENSITIVE.test(url.slice(q)) && !url.includes('%', q)) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (SENSITIVE_QUERY.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}
