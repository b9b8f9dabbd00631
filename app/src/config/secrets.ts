/**
 * Secret rules. Production refuses to start on a secret that is missing, shorter than 32
 * bytes, or a known placeholder; elsewhere a clearly named development default is used and
 * the caller logs a warning for each.
 */
import type { Env, EnvCheck } from './env.ts';

export const SECRET_NAMES = ['SESSION_SECRET', 'METRICS_TOKEN', 'CREDENTIALS_ENCRYPTION_KEY'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

const GENERATE_HINT: Record<SecretName, string> = {
  SESSION_SECRET: 'generate one with: openssl rand -base64 48',
  METRICS_TOKEN: 'generate one with: openssl rand -hex 32',
  CREDENTIALS_ENCRYPTION_KEY: 'generate one with: openssl rand -base64 32 (or 64 hex characters)',
};

/** Development defaults: long enough to work, named so nobody mistakes them for real secrets. */
export const DEV_SECRETS: Record<SecretName, string> = {
  SESSION_SECRET: 'slipway-dev-only-session-secret-not-for-production',
  METRICS_TOKEN: 'slipway-dev-only-metrics-token-not-for-production',
  // 32 bytes of base64 that spell out what they are.
  CREDENTIALS_ENCRYPTION_KEY: Buffer.from('slipway-dev-only-key-not-for-use').toString('base64'),
};

const PLACEHOLDER_WORDS = [
  'change-me',
  'changeme',
  'change_me',
  'replace-me',
  'replaceme',
  'placeholder',
  'example',
  'your-secret',
  'yoursecret',
  'secret',
  'password',
  'not-for-production',
  'dev-only',
  'todo',
  'xxxx',
];

export function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  if (Object.values(DEV_SECRETS).includes(value)) return true;
  if (/^(.{1,16})\1+$/.test(value)) return true; // a short pattern repeated: xxxx…, abcabc…
  return PLACEHOLDER_WORDS.some((word) => lower.includes(word));
}

/** Decodes a 32-byte key given as 64 hex characters or base64; undefined if it is neither. */
export function decodeKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === 32) return bytes;
  }
  return undefined;
}

export function secretProblem(name: SecretName, value: string | undefined): string | undefined {
  const hint = GENERATE_HINT[name];
  if (value === undefined || value.trim() === '') return `required in production; ${hint}`;
  if (Buffer.byteLength(value) < 32) return `too short (${Buffer.byteLength(value)} bytes); at least 32 bytes are required; ${hint}`;
  if (isPlaceholder(value)) return `is a placeholder or example value; ${hint}`;
  if (name === 'CREDENTIALS_ENCRYPTION_KEY' && !decodeKey(value)) {
    return `must decode to exactly 32 bytes (64 hex characters or base64); ${hint}`;
  }
  return undefined;
}

export interface ResolvedSecrets {
  readonly values: Record<SecretName, string>;
  /** Secrets that fell back to a development default (to be logged as warnings). */
  readonly devDefaults: SecretName[];
  readonly encryptionKey: Buffer;
}

export function secretChecks(names: readonly SecretName[]) {
  return (env: Env): EnvCheck[] => {
    if (env.SLIPWAY_ENV?.trim() !== 'production') {
      // Outside production a provided key must still be usable.
      const key = env.CREDENTIALS_ENCRYPTION_KEY?.trim();
      if (names.includes('CREDENTIALS_ENCRYPTION_KEY') && key && !decodeKey(key)) {
        return [{ name: 'CREDENTIALS_ENCRYPTION_KEY', message: `must decode to exactly 32 bytes (64 hex characters or base64); ${GENERATE_HINT.CREDENTIALS_ENCRYPTION_KEY}` }];
      }
      return [];
    }
    return names.flatMap((name) => {
      const message = secretProblem(name, env[name]);
      return message ? [{ name, message }] : [];
    });
  };
}

export function resolveSecrets(env: Env, names: readonly SecretName[]): ResolvedSecrets {
  const devDefaults: SecretName[] = [];
  const values = {} as Record<SecretName, string>;
  for (const name of SECRET_NAMES) {
    const given = env[name]?.trim();
    if (given) values[name] = given;
    else {
      values[name] = DEV_SECRETS[name];
      if (names.includes(name)) devDefaults.push(name);
    }
  }
  return { values, devDefaults, encryptionKey: decodeKey(values.CREDENTIALS_ENCRYPTION_KEY)! };
}
