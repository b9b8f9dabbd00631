/**
 * What `?q=` matches: title words (a case-insensitive substring, `%` and `_` taken literally),
 * and, when the query is an issue reference (`ENG-2`, `eng-2`, `#2`, `2`), that issue too.
 * A trigram index on titles (migration 0003, where pg_trgm is installed) keeps substring
 * search fast in large workspaces; without it the same condition runs as a filter.
 */

/** `%`, `_` and `\` match themselves in the ILIKE pattern. */
export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The issue number `q` names in a workspace with this key, if `q` is a reference at all. */
export function referencedNumber(q: string, issueKey: string): number | undefined {
  const match = /^(?:([A-Za-z][A-Za-z0-9]{1,9})-|#)?(\d{1,10})$/.exec(q.trim());
  if (!match) return undefined;
  if (match[1] !== undefined && match[1].toUpperCase() !== issueKey) return undefined;
  const n = Number(match[2]);
  return n >= 1 && n <= 2_147_483_647 ? n : undefined;
}

/** The WHERE condition for `q`; `param` binds a value and returns its placeholder. */
export function searchCondition(q: string, issueKey: string, param: (value: unknown) => string): string {
  const title = `i.title ILIKE ${param(likePattern(q))}`;
  const number = referencedNumber(q, issueKey);
  return number === undefined ? title : `(${title} OR i.number = ${param(number)})`;
}
