/**
 * Environment parsing shared by every command. Each command declares one zod schema built from
 * the variable builders below; `parseEnv` reports every bad variable at once, naming it, what
 * it expects and (for plain settings only) the value it got. Secret values are never echoed.
 */
import { z } from 'zod';

export type Env = Record<string, string | undefined>;
export type Environment = 'development' | 'production' | 'test';

export class ConfigError extends Error {
  constructor(
    readonly command: string,
    readonly problems: string[],
  ) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super(
      `Invalid configuration for \`${command}\` (${count}):\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSee .env.example for every setting with a safe example.',
    );
    this.name = 'ConfigError';
  }
}

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' ? (value.trim() === '' ? undefined : value.trim()) : value;

/** An optional string variable, blank treated as unset, then checked by `check`. */
function variable<T>(check: (value: string | undefined, fail: (message: string) => never) => T) {
  return z.preprocess(blankToUndefined, z.string().optional()).transform((value, ctx) => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER as never;
    };
    return check(value, fail);
  });
}

export const v = {
  string: (fallback?: string) => variable((value) => value ?? fallback),
  requiredString: (hint: string) => variable((value, fail) => value ?? fail(`required: ${hint}`)),

  int: (fallback: number, min: number, max: number) =>
    variable((value, fail) => {
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!/^-?\d+$/.test(value) || n < min || n > max) return fail(`expected a whole number from ${min} to ${max}`);
      return n;
    }),

  optionalInt: (min: number, max: number) =>
    variable((value, fail) => {
      if (value === undefined) return undefined;
      const n = Number(value);
      if (!/^-?\d+$/.test(value) || n < min || n > max) return fail(`expected a whole number from ${min} to ${max}`);
      return n;
    }),

  bool: (fallback: boolean) =>
    variable((value, fail) => {
      if (value === undefined) return fallback;
      const normalized = value.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
      if (['false', '0', 'no', 'off'].includes(normalized)) return false;
      return fail('expected true or false');
    }),

  oneOf: <T extends string>(choices: readonly T[], fallback: T) =>
    variable((value, fail) => {
      if (value === undefined) return fallback;
      const match = choices.find((c) => c === value.toLowerCase());
      return match ?? fail(`expected one of ${choices.join(', ')}`);
    }),

  optionalOneOf: <T extends string>(choices: readonly T[]) =>
    variable((value, fail): T | undefined => {
      if (value === undefined) return undefined;
      const match = choices.find((c) => c === value.toLowerCase());
      return match ?? fail(`expected one of ${choices.join(', ')}`);
    }),

  url: (protocols: readonly string[], fallback?: string) =>
    variable((value, fail) => {
      if (value === undefined) return fallback;
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        return fail(`not a valid URL; expected ${protocols.map((p) => `${p}//host…`).join(' or ')}`);
      }
      if (!protocols.includes(parsed.protocol)) {
        return fail(`scheme ${parsed.protocol} is not supported; expected ${protocols.join(' or ')}`);
      }
      return value;
    }),

  list: () =>
    variable((value) =>
      (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),

  cidrs: (fallback: string[]) =>
    variable((value, fail) => {
      if (value === undefined) return fallback;
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      const bad = items.filter((item) => !isCidrOrIp(item));
      if (bad.length > 0) {
        return fail(`${bad.map((b) => JSON.stringify(b)).join(', ')} is not an IP address or CIDR; expected e.g. 10.0.0.0/16,127.0.0.1/32`);
      }
      return items;
    }),
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function isCidrOrIp(value: string): boolean {
  const [address, prefix, extra] = value.split('/');
  if (extra !== undefined || !address) return false;
  const isV4 = IPV4.test(address);
  const isV6 = !isV4 && address.includes(':') && /^[0-9a-fA-F:.]+$/.test(address);
  if (!isV4 && !isV6) return false;
  if (prefix === undefined) return true;
  if (!/^\d+$/.test(prefix)) return false;
  return Number(prefix) <= (isV4 ? 32 : 128);
}

/** Names whose values must never appear in a message. URLs may carry a password too. */
function isSensitive(name: string): boolean {
  return /(PASSWORD|SECRET|TOKEN|KEY|_URL)$/.test(name);
}

function describe(name: string, env: Env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '' || isSensitive(name)) return name;
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return `${name}=${JSON.stringify(shown)}`;
}

export interface EnvCheck {
  readonly name: string;
  readonly message: string;
}

/**
 * Parses `env` with `schema` or throws a ConfigError listing every problem: the schema's
 * per-variable issues and those of `checks`, which look at the raw environment for rules that
 * span several variables (so they run even when a single variable is already wrong).
 */
export function parseEnv<S extends z.ZodType>(
  command: string,
  schema: S,
  env: Env,
  checks: (env: Env) => EnvCheck[] = () => [],
): z.output<S> {
  const result = schema.safeParse(env);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '');
        return name ? `${describe(name, env)}: ${issue.message}` : issue.message;
      });
  for (const check of checks(env)) problems.push(`${describe(check.name, env)}: ${check.message}`);
  if (problems.length > 0) throw new ConfigError(command, [...new Set(problems)]);
  return (result as { data: z.output<S> }).data;
}
