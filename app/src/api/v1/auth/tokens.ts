/**
 * Personal access tokens: `pat_` and 32 random bytes, shown once at creation; only the
 * SHA-256 is stored. Listed by name and last use; revoking one stops it at once.
 */
import { z } from 'zod';
import { conflict, notFound } from '../../errors.ts';
import { ERROR_RESPONSES, noContent, type ApiInstance } from '../../schema.ts';
import type { ApiDependencies } from '../../server.ts';
import { hashToken, requireUser, TOKEN_PREFIX } from '../context.ts';
import { tokenJson, type TokenJson } from '../json.ts';
import { iso, noNul, NUL_MESSAGE } from '../workspaces/schemas.ts';
import { randomToken } from './signin.ts';

/** Active tokens one user may hold: plenty for scripts, and a bound on a runaway loop. */
export const MAX_TOKENS_PER_USER = 100;

const createBody = z.object({ name: z.string().trim().min(1, 'Required').max(100, 'Too long: at most 100 characters').refine(noNul, NUL_MESSAGE) });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RECORD = 'id, name, created_at, last_used_at';

interface Row {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const toJson = (row: Row): TokenJson => ({ id: row.id, name: row.name, createdAt: row.created_at.toISOString(), lastUsedAt: iso(row.last_used_at) });

export function registerTokens(app: ApiInstance, deps: ApiDependencies): void {
  const { pool } = deps;

  app.get('/api/v1/tokens', { schema: { summary: 'List your personal access tokens', response: { 200: z.object({ tokens: z.array(tokenJson) }), ...ERROR_RESPONSES } } }, async (request) => {
    const user = requireUser(request);
    const { rows } = await pool.query<Row>(
      `SELECT ${RECORD} FROM personal_access_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id`,
      [user.id],
    );
    return { tokens: rows.map(toJson) };
  });

  const createSchema = {
    summary: 'Create a personal access token (shown once)',
    body: createBody,
    response: { 201: z.object({ token: z.string().describe('pat_…, shown only now'), record: tokenJson }), ...ERROR_RESPONSES },
  };
  app.post('/api/v1/tokens', { schema: createSchema }, async (request, reply) => {
    const user = requireUser(request);
    const { name } = request.body;
    const token = `${TOKEN_PREFIX}${randomToken()}`;
    // One statement: the count and the insert see the same snapshot per user well enough
    // for a soft cap.
    const { rows } = await pool.query<Row>(
      `INSERT INTO personal_access_tokens (user_id, name, token_hash)
       SELECT $1, $2, $3
        WHERE (SELECT count(*) FROM personal_access_tokens WHERE user_id = $1 AND revoked_at IS NULL) < $4
       RETURNING ${RECORD}`,
      [user.id, name, hashToken(token), MAX_TOKENS_PER_USER],
    );
    if (!rows[0]) throw conflict(`You already have ${MAX_TOKENS_PER_USER} access tokens; revoke one first`);
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ token, record: toJson(rows[0]) });
  });

  const revokeSchema = { summary: 'Revoke a personal access token', params: z.object({ id: z.string() }), response: { 204: noContent, ...ERROR_RESPONSES } };
  app.delete('/api/v1/tokens/:id', { schema: revokeSchema }, async (request, reply) => {
    const user = requireUser(request);
    const { id } = request.params;
    // Someone else's token, a revoked one and a malformed id all look the same: absent.
    if (!UUID.test(id)) throw notFound('No such access token');
    const { rowCount } = await pool.query(
      'UPDATE personal_access_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
      [id, user.id],
    );
    if (!rowCount) throw notFound('No such access token');
    return reply.code(204).send();
  });
}
