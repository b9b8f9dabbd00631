/** What runbooks quote, for tests that hold the quotes to what the commands print. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every `…` span of a runbook (outside code blocks, lines joined) that starts with `start`. */
export function quoted(file: string, start: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((q) => q.startsWith(start));
}

/**
 * A quote as a pattern: `…` stands for any text, a lone `N` for a number, and the numbers in it
 * (a default such as 300 s) for any number.
 */
export function quotePattern(quote: string): RegExp {
  const escaped = quote.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/\b\d+\b/g, '\\d+').replace(/\bN\b/g, '\\d+').replace(/\s*…\s*/g, '.*'));
}
