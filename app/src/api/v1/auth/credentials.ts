/**
 * Who a credential belongs to, and (for a route under /api/v1/workspaces/:slug) that person's
 * membership of the workspace, in one query; a route may add its read to that query (a page
 * of issues: authentication, access and data in one round trip). Credentials are matched by
 * their SHA-256 only. `last_used_at` / `last_seen_at` move at most once a minute.
 */
import type pg from 'pg';
import { binder, prepared, preparedDynamic } from '../../../db/statements.ts';
import { rawTimestamps } from '../../../db/timestamps.ts';
import { hashToken, TOKEN_PREFIX, type AuthUser } from '../context.ts';
import type { AccessRow } from '../workspaces/access.ts';

/** `pat_` and 32 random bytes in base64url. */
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);

export interface Credentials {
  readonly user: AuthUser;
  /** The membership of the workspace named by the route; null when not a member (or no such workspace). */
  readonly membership: AccessRow | null;
  /** The rows of the route's companion read, by its column names (only for a member: a non-member's read is empty by construction). */
  readonly companionRows?: Record<string, unknown>[];
}

/**
 * A read a route runs in the same statement as the credential lookup, so that authentication,
 * workspace access and the data take one round trip. `sql` may use the credential row `c`
 * (`c.id` the user, `c.w_id` the member's workspace, `c.issue_key`); `columns` are its output
 * columns with their types, in order; `orderBy` orders its rows by those column names (a read
 * of one row needs none).
 */
export interface CompanionRead {
  readonly columns: readonly (readonly [name: string, type: string])[];
  readonly orderBy?: string;
  sql(param: (value: unknown) => string): string;
}

interface Row {
  credential_id: string;
  stale: boolean;
  id: string;
  email: string;
  name: string;
  w_id: string | null;
  w_slug: string;
  w_name: string;
  issue_key: string;
  role: AccessRow['role'];
  w_created_at: Date;
  w_updated_at: Date;
}

/** The membership columns, joined only when the member and the workspace both match. */
const MEMBERSHIP = `w.id AS w_id, w.slug AS w_slug, w.name AS w_name, w.issue_key, m.role,
            w.created_at AS w_created_at, w.updated_at AS w_updated_at`;
const JOIN_MEMBERSHIP = `LEFT JOIN (workspaces w JOIN workspace_members m ON m.workspace_id = w.id)
         ON w.slug = $2 AND m.user_id = u.id`;

export const TOKEN_SQL = `SELECT t.id AS credential_id,
            (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale,
            u.id, u.email, u.name, ${MEMBERSHIP}
       FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
       ${JOIN_MEMBERSHIP}
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL`;

const SESSION_SQL = `SELECT s.id AS credential_id,
            s.last_seen_at < now() - interval '1 minute' AS stale,
            u.id, u.email, u.name, ${MEMBERSHIP}
       FROM sessions s JOIN users u ON u.id = s.user_id
       ${JOIN_MEMBERSHIP}
      WHERE s.token_hash = ANY($1::text[]) AND s.revoked_at IS NULL AND s.expires_at > now()
      ORDER BY s.created_at DESC
      LIMIT 1`;

/** The credential statements' output columns, in order. */
const CREDENTIAL_COLUMNS = ['credential_id', 'stale', 'id', 'email', 'name', 'w_id', 'w_slug', 'w_name', 'issue_key', 'role', 'w_created_at', 'w_updated_at'] as const;

/**
 * The credential row first (part 0, the credential as one JSON array), then the companion's
 * rows (part 1), each padded with NULLs for the other's columns: one JSON column instead of
 * twelve keeps the rows of the companion narrow, which is what the client spends its time
 * parsing. One statement sees one snapshot, so the membership and the data it guards are read
 * at the same moment.
 */
export function withCompanion(credentialSql: string, values: unknown[], companion: CompanionRead): { text: string; values: unknown[] } {
  const all = [...values];
  const param = binder(all);
  const padding = companion.columns.map(([name, type]) => `NULL::${type} AS ${name}`).join(', ');
  const text = `WITH credential AS (${credentialSql})
     SELECT 0 AS part, json_build_array(${CREDENTIAL_COLUMNS.map((column) => `c.${column}`).join(', ')})::text AS credential, ${padding} FROM credential c
     UNION ALL
     SELECT 1, NULL, companion.* FROM credential c CROSS JOIN LATERAL (${companion.sql(param)}) companion
     ORDER BY part${companion.orderBy ? `, ${companion.orderBy}` : ''}`;
  return { text, values: all };
}

/** The credential of `withCompanion` (a JSON array, timestamps in ISO form) as the Row the plain lookups return. */
function credentialRowOf(json: string): Row {
  const [credentialId, stale, id, email, name, wId, wSlug, wName, issueKey, role, wCreatedAt, wUpdatedAt] = JSON.parse(json) as [
    string, boolean, string, string, string, string | null, string, string, string, AccessRow['role'], string | null, string | null,
  ];
  return {
    credential_id: credentialId,
    stale,
    id,
    email,
    name,
    w_id: wId,
    w_slug: wSlug,
    w_name: wName,
    issue_key: issueKey,
    role,
    w_created_at: wCreatedAt === null ? (null as unknown as Date) : new Date(wCreatedAt),
    w_updated_at: wUpdatedAt === null ? (null as unknown as Date) : new Date(wUpdatedAt),
  };
}

/** Runs a credential statement, alone or with the route's companion read. */
async function lookUp(pool: pg.Pool, name: string, sql: string, values: unknown[], companion: CompanionRead | undefined): Promise<{ row: Row | undefined; companionRows?: Record<string, unknown>[] }> {
  if (!companion) {
    const { rows } = await pool.query<Row>(prepared(name, sql, values));
    return { row: rows[0] };
  }
  const statement = withCompanion(sql, values, companion);
  const { rows } = await pool.query<{ part: number; credential: string | null }>({ ...preparedDynamic(`${name}-with`, statement.text, statement.values), types: rawTimestamps });
  const first = rows[0];
  if (!first || first.part !== 0 || first.credential === null) return { row: undefined };
  const row = credentialRowOf(first.credential);
  // The companion's rows carry its own column names (and a null `credential` the reader ignores).
  return { row, companionRows: row.w_id === null ? undefined : rows.slice(1) };
}

const membershipOf = (row: Row): AccessRow | null =>
  row.w_id === null
    ? null
    : { id: row.w_id, slug: row.w_slug, name: row.w_name, issue_key: row.issue_key, role: row.role, created_at: row.w_created_at, updated_at: row.w_updated_at };

export function isTokenShaped(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export async function authenticateToken(pool: pg.Pool, token: string, slug?: string, companion?: CompanionRead): Promise<Credentials | undefined> {
  if (!isTokenShaped(token)) return undefined;
  const { row, companionRows } = await lookUp(pool, 'auth-token', TOKEN_SQL, [hashToken(token), slug ?? null], slug === undefined ? undefined : companion);
  if (!row) return undefined;
  if (row.stale) {
    await pool.query(
      `UPDATE personal_access_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [row.credential_id],
    );
  }
  return { user: { id: row.id, email: row.email, name: row.name, via: 'token', tokenId: row.credential_id }, membership: membershipOf(row), companionRows };
}

export async function authenticateSession(pool: pg.Pool, tokens: string[], slug?: string, companion?: CompanionRead): Promise<Credentials | undefined> {
  if (tokens.length === 0) return undefined;
  const { row, companionRows } = await lookUp(pool, 'auth-session', SESSION_SQL, [tokens.map(hashToken), slug ?? null], slug === undefined ? undefined : companion);
  if (!row) return undefined;
  if (row.stale) {
    await pool.query(`UPDATE sessions SET last_seen_at = now() WHERE id = $1 AND last_seen_at < now() - interval '1 minute'`, [row.credential_id]);
  }
  return { user: { id: row.id, email: row.email, name: row.name, via: 'session', sessionId: row.credential_id }, membership: membershipOf(row), companionRows };
}
