import type { FastifyInstance } from 'fastify';
import type { ApiDependencies } from '../../server.ts';

/** Sign-in, sessions, personal access tokens and the authentication hook. */
export async function registerAuth(_app: FastifyInstance, _deps: ApiDependencies): Promise<void> {}
