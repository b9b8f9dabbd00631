/**
 * What `?q=` matches: title words (a case-insensitive substring, `%` and `_` taken literally),
 * and, when the query is an issue reference (`ENG-2`, `eng-2`, `#2`, `2`), that issue too.
 * A trigram index on titles (migration 0003, where pg_trgm is installed) keeps substring
 * search fast in large workspaces; without it the same condition runs as a filter.
 */

/** `%`, `_` and `\` match themselves in the ILIKE pattern. */
export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const REFERENCE = /^(?:([A-Za-z][A-Za-z0-9]{1,9})-|#)?(\d{1,10})$/;

/** `q` read as an issue reference: the number, and the key it names (upper case) if it names one. */
function reference(q: string): { key: string | undefined; number: number } | undefined {
  const match = REFERENCE.exec(q.trim());
  if (!match) return undefined;
  const n = Number(match[2]);
  return n >= 1 && n <= 2_147_483_647 ? { key: match[1]?.toUpperCase(), number: n } : undefined;
}

/** The issue number `q` names in a workspace with this key, if `q` is a reference at all. */
export function referencedNumber(q: string, issueKey: string): number | undefined {
  const ref = reference(q);
  return ref && (ref.key === undefined || ref.key === issueKey) ? ref.number : undefined;
}

/**
 * The WHERE condition for `q`; `param` binds a value and returns its placeholder. The
 * workspace's issue key is a value when it is known, or a SQL expression (`{ sql }`) when the
 * statement itself finds the workspace (the first page read with the credential).
 */
export function searchCondition(q: string, issueKey: string | { sql: string }, param: (value: unknown) => string): string {
  const title = `i.title ILIKE ${param(likePattern(q))}`;
  if (typeof issueKey === 'string') {
    const number = referencedNumber(q, issueKey);
    return number === undefined ? title : `(${title} OR i.number = ${param(number)})`;
  }
  const ref = reference(q);
  if (!ref) return title;
  const keyMatches = ref.key === undefined ? '' : ` AND ${issueKey.sql} = ${param(ref.key)}`;
  return `(${title} OR (i.number = ${param(ref.number)}${keyMatches}))`;
}
