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

/**
 * Words that make a query parameter sensitive wherever they appear in its name, so that
 * `access_token`, `api_key`, `client_secret`, `X-Amz-Security-Token` and `apiKey` are caught
 * as well as `token` (a search for "monkey" only costs a parse).
 */
const SENSITIVE_WORDS = new Set(['token', 'code', 'state', 'key', 'apikey', 'secret', 'password', 'passwd', 'signature', 'sig', 'credential', 'jwt', 'session', 'auth']);

/** Whether a query string may hold a sensitive parameter: a cheap test before parsing it. */
const MAYBE_SENSITIVE = /token|code|state|key|secret|passw|sig|credential|jwt|session|auth/i;

function isSensitiveName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((word) => SENSITIVE_WORDS.has(word));
}

/** The path with the values of sensitive query parameters replaced. */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  // Most query strings (?limit=50&status=open) name nothing sensitive: keep them as sent.
  if (!MAYBE_SENSITIVE.test(url.slice(q)) && !url.includes('%', q)) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (isSensitiveName(key)) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}
