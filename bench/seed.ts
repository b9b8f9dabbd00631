/**
 * Seeds the benchmark data with SQL (no API round trips): one user with a personal access
 * token, workspaces, and N issues per workspace. Titles mix a few phrases, so "export" is a
 * common term (one title in eight) and "zebra" a rare one (twenty titles whatever N is); a
 * third of the issues are open, a quarter assigned to the user.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';

export const COMMON_TERM = 'export';
export const RARE_TERM = 'zebra';
export const RARE_MATCHES = 20;

export interface BenchUser {
  readonly id: string;
  readonly token: string;
}

export async function seedUser(db: pg.Pool): Promise<BenchUser> {
  const token = `pat_${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<{ id: string }>(`INSERT INTO users (email, name) VALUES ('bench@example.com', 'Bench') RETURNING id`);
  const id = rows[0]!.id;
  await db.query(`INSERT INTO personal_access_tokens (user_id, name, token_hash) VALUES ($1, 'bench', $2)`, [id, createHash('sha256').update(token).digest('hex')]);
  return { id, token };
}

export async function seedWorkspace(db: pg.Pool, user: BenchUser, slug: string, issueKey: string, issues: number): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO workspaces (slug, name, issue_key, next_issue_number) VALUES ($1, $1, $2, $3 + 1) RETURNING id`,
    [slug, issueKey, issues],
  );
  const workspaceId = rows[0]!.id;
  await db.query(`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')`, [workspaceId, user.id]);
  // Where the trigram index takes titles directly (migration 0004), a bulk load goes faster
  // through its pending list merged once at the end (about three times faster than updating
  // the index row by row), and ends in the same state: nothing pending. An older schema (a
  // build measured with --bundle) keeps its own behaviour: whatever a load leaves pending stays.
  const direct = (await db.query(`SELECT 'fastupdate=off' = ANY(reloptions) AS direct FROM pg_class WHERE relname = 'issues_title_trgm_idx'`)).rows[0]?.direct === true;
  if (direct) await db.query('ALTER INDEX issues_title_trgm_idx SET (fastupdate = on)');
  // In batches, so no single statement holds a million-row transaction's memory.
  const batch = 100_000;
  for (let from = 1; from <= issues; from += batch) {
    await db.query(
      `INSERT INTO issues (workspace_id, number, title, status, priority, assignee_id, author_id, created_at, updated_at)
       SELECT $1, n,
              'Issue ' || n || ' ' || (ARRAY['crash on save', 'slow page load', '${COMMON_TERM} to csv broken', 'login loop',
                                            'typo in footer', 'dark mode colours', 'search ranking', 'billing email'])[1 + n % 8]
                || CASE WHEN n % $5 = 0 THEN ' ${RARE_TERM}' ELSE '' END,
              (ARRAY['open', 'in_progress', 'closed'])[1 + n % 3], 'none',
              CASE WHEN n % 4 = 0 THEN $4::uuid END, $4::uuid,
              now() - make_interval(secs => $3 - n), now() - make_interval(secs => $3 - n)
         FROM generate_series($2::int, least($2::int + ${batch - 1}, $3::int)) AS n`,
      [workspaceId, from, issues, user.id, Math.max(1, Math.floor(issues / RARE_MATCHES))],
    );
  }
  if (direct) {
    await db.query(`SELECT gin_clean_pending_list('issues_title_trgm_idx')`);
    await db.query('ALTER INDEX issues_title_trgm_idx SET (fastupdate = off)');
  }
  await db.query('ANALYZE issues');
  return workspaceId;
}
