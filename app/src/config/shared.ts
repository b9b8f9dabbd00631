/** Settings that several commands read, declared once: the default ports and the log levels. */
import { v } from './env.ts';

export const DEFAULT_API_PORT = 7016;
export const DEFAULT_WEB_PORT = 7015;
/** Where the web server finds the API when nothing else is said (both on this machine). */
export const DEFAULT_API_UPSTREAM = `http://127.0.0.1:${DEFAULT_API_PORT}`;
/** The address people open in a browser for a local app. */
export const DEFAULT_APP_URL = `http://localhost:${DEFAULT_WEB_PORT}`;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, the same for every command. */
export const logLevelField = v.oneOf(LOG_LEVELS, 'info');

/**
 * BODY_LIMIT_BYTES: the largest request body the API accepts. The web server reads it too, so
 * a body it forwards to /api that is too large is refused as the API would refuse it.
 */
export const bodyLimitField = v.int(1_048_576, 1024, 104_857_600);
