/**
 * Personal access tokens: `pat_` and 32 random bytes, shown once at creation; only the
 * SHA-256 is stored. Listed by name and last use; revoking one stops it at once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { conflict, notFound, parseInput } from '../../errors.ts';
import type { ApiDependencies } from '../../server.ts';
import { hashToken, requireUser, TOKEN_PREFIX } from '../context.ts';
import { randomToken } from './signin.ts';

/** Active tokens one user may hold: plenty for scripts, and a bound on a runaway loop. */
export const MAX_TOKENS_PER_USER = 100;

const createBody = z.object({ name: z.string().trim().min(1, 'Required').max(100, 'Too long: at most 100 characters') });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RECORD = `id, name, created_at AS "createdAt", last_used_at AS "lastUsedAt"`;

export function registerTokens(app: FastifyInstance, deps: ApiDependencies): void {
  const { pool } = deps;

  app.get('/api/v1/tokens', async (request: FastifyRequest) => {
    const user = requireUser(request);
    const { rows } = await pool.query(
      `SELECT ${RECORD} FROM personal_access_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id`,
      [user.id],
    );
    return { tokens: rows };
  });

  app.post('/api/v1/tokens', async (request: FastifyRequest, reply: FastifyReply) => {
    const user = requireUser(request);
    const { name } = parseInput(createBody, request.body, 'body');
    const token = `${TOKEN_PREFIX}${randomToken()}`;
    // One statement: the count and the insert see the same snapshot per user well enough
    // for a soft cap.
    const { rows } = await pool.query(
      `INSERT INTO personal_access_tokens (user_id, name, token_hash)
       SELECT $1, $2, $3
        WHERE (SELECT count(*) FROM personal_access_tokens WHERE user_id = $1 AND revoked_at IS NULL) < $4
       RETURNING ${RECORD}`,
      [user.id, name, hashToken(token), MAX_TOKENS_PER_USER],
    );
    if (!rows[0]) throw conflict(`You already have ${MAX_TOKENS_PER_USER} access tokens; revoke one first`);
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ token, record: rows[0] });
  });

  app.delete('/api/v1/tokens/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
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
