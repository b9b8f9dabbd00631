/**
 * Transactions for the workspace routes. Every change appends its workspace event inside the
 * same transaction; the events are handed to the live-update hub only after COMMIT, so a
 * client never sees a change that was rolled back. Serialization failures and deadlocks are
 * retried, so concurrent requests never surface them as errors. The work gets the
 * transaction's client only: asking the pool for another connection meanwhile is refused.
 */
import type pg from 'pg';
import { withTransaction } from '../../../db/connection-guard.ts';
import type { EventHub } from '../../../events/hub.ts';
import { appendEvent } from '../../../events/store.ts';
import type { EventPayloads, EventType, WorkspaceEvent } from '../../../events/types.ts';

export type Db = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface Tx {
  readonly client: pg.PoolClient;
  /** Appends a workspace event in this transaction; published once it commits. */
  emit<T extends EventType>(workspaceId: string, type: T, payload: EventPayloads[T]): Promise<WorkspaceEvent>;
}

const RETRYABLE = new Set(['40001', '40P01']);

export async function transaction<T>(pool: pg.Pool, hub: EventHub | undefined, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const events: WorkspaceEvent[] = [];
    try {
      const result = await withTransaction(pool, (client) =>
        work({
          client,
          async emit(workspaceId, type, payload) {
            const event = await appendEvent(client, workspaceId, type, payload as unknown as Record<string, unknown>);
            events.push(event);
            return event;
          },
        }),
      );
      hub?.publish(events);
      return result;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < 4) continue;
      throw error;
    }
  }
}
