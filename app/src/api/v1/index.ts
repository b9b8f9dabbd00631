/** Product routes under /api/v1. */
import type { FastifyInstance } from 'fastify';
import type { ApiDependencies } from '../server.ts';

export async function registerV1(_app: FastifyInstance, _deps: ApiDependencies): Promise<void> {}
