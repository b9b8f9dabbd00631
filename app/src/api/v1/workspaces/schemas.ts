/** zod pieces shared by the workspace routes: ids, slugs, bounded text without NUL bytes. */
import { z } from 'zod';

/** PostgreSQL text cannot hold NUL; refuse it as a validation error rather than a 500. */
export const noNul = (value: string) => !value.includes('\u0000');
export const NUL_MESSAGE = 'must not contain NUL characters';

export function text(min: number, max: number, options: { trim?: boolean } = {}) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine(noNul, NUL_MESSAGE);
}

/** Markdown-ish content: kept exactly as written (leading indentation matters), but not blank. */
export function content(max: number, options: { allowBlank?: boolean } = {}) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => options.allowBlank || value.trim().length > 0, 'must not be empty')
    .refine(noNul, NUL_MESSAGE);
}

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,47}$/;
export const ISSUE_KEY_PATTERN = /^[A-Z][A-Z0-9]{1,9}$/;

export const slug = z
  .string()
  .max(48, 'must be at most 48 characters')
  .regex(SLUG_PATTERN, 'must be 2-48 lowercase letters, digits or dashes, starting with a letter or digit');

export const id = z.guid('must be a UUID');

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(320, 'must be at most 320 characters')
  .pipe(z.email('must be an email address'));

export { PRIORITIES, ROLES, STATUSES, type IssueStatus, type Priority, type Role } from '../json.ts';

export const slugParams = z.object({ slug });

/** `42` or `ENG-42`. The key is checked against the workspace's own later (a mismatch is a 404). */
export const ref = z
  .string()
  .max(40, 'must be at most 40 characters')
  .regex(/^(?:[A-Za-z][A-Za-z0-9]{1,9}-)?\d{1,19}$/, 'must be an issue number like 42 or ENG-42');

export const issueParams = z.object({ slug, ref });

export const MAX_INT = 2_147_483_647;

/** The issue number named by `ref`, or undefined when it cannot be one of this workspace's. */
export function refNumber(value: string, issueKey: string): number | undefined {
  const dash = value.lastIndexOf('-');
  if (dash >= 0 && value.slice(0, dash).toUpperCase() !== issueKey) return undefined;
  const n = Number(value.slice(dash + 1));
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_INT ? n : undefined;
}

export const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);
