/**
 * Who a credential belongs to, and (for a route under /api/v1/workspaces/:slug) that person's
 * membership of the workspace, in one query: a request that reads one page of issues makes one
 * round trip for authentication and access, then one for the data. Credentials are matched by
 * their SHA-256 only. `last_used_at` / `last_seen_at` move at most once a minute.
 */
import type pg from 'pg';
import { prepared } from '../../../db/statements.ts';
import { hashToken, TOKEN_PREFIX, type AuthUser } from '../context.ts';
import type { AccessRow } from '../workspaces/access.ts';

/** `pat_` and 32 random bytes in base64url. */
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);

export interface Credentials {
  readonly user: AuthUser;
  /** The membership of the workspace named by the route; null when not a member (or no such workspace). */
  readonly membership: AccessRow | null;
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

const membershipOf = (row: Row): AccessRow | null =>
  row.w_id === null
    ? null
    : { id: row.w_id, slug: row.w_slug, name: row.w_name, issue_key: row.issue_key, role: row.role, created_at: row.w_created_at, updated_at: row.w_updated_at };

export function isTokenShaped(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

export async function authenticateToken(pool: pg.Pool, token: string, slug?: string): Promise<Credentials | undefined> {
  if (!isTokenShaped(token)) return undefined;
  const { rows } = await pool.query<Row>(prepared('auth-token', TOKEN_SQL, [hashToken(token), slug ?? null]));
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) {
    await pool.query(
      `UPDATE personal_access_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [row.credential_id],
    );
  }
  return { user: { id: row.id, email: row.email, name: row.name, via: 'token', tokenId: row.credential_id }, membership: membershipOf(row) };
}

export async function authenticateSession(pool: pg.Pool, tokens: string[], slug?: string): Promise<Credentials | undefined> {
  if (tokens.length === 0) return undefined;
  const { rows } = await pool.query<Row>(prepared('auth-session', SESSION_SQL, [tokens.map(hashToken), slug ?? null]));
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) {
    await pool.query(`UPDATE sessions SET last_seen_at = now() WHERE id = $1 AND last_seen_at < now() - interval '1 minute'`, [row.credential_id]);
  }
  return { user: { id: row.id, email: row.email, name: row.name, via: 'session', sessionId: row.credential_id }, membership: membershipOf(row) };
}
