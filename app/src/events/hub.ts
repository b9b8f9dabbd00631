/**
 * Fan-out of workspace events to the streams open on this process and on every other API
 * replica. With Redis, each process keeps ONE subscriber connection (not one per client) on a
 * single channel and filters by workspace in memory; events committed here are delivered to
 * local streams at once and published for the others, which ignore their own echo. Without
 * Redis, delivery is in-process only (one node).
 *
 * When the subscriber connection comes back after an outage, listeners are told to resync:
 * each stream replays from the event log what it may have missed meanwhile.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isWorkspaceEvent, type WorkspaceEvent } from './types.ts';

export const EVENTS_CHANNEL = 'slipway:workspace-events';
const RESYNC_AGAIN_MS = 500;

export interface HubListener {
  event(event: WorkspaceEvent): void;
  /** Live delivery may have had a gap (the subscriber reconnected): catch up from the log. */
  resync(): void;
}

export interface EventHubOptions {
  readonly log: Logger;
  /** Connection used to PUBLISH (the process's main Redis client). */
  readonly publisher?: Redis;
  /** A dedicated connection in subscriber mode; the hub owns and closes it. */
  readonly subscriber?: Redis;
}

interface Envelope {
  readonly origin: string;
  readonly event: WorkspaceEvent;
}

export class EventHub {
  private readonly origin = randomUUID();
  private readonly listeners = new Map<string, Set<HubListener>>();
  private readonly log: Logger;
  private readonly publisher?: Redis;
  private readonly subscriber?: Redis;
  private subscribedOnce = false;
  private closed = false;

  constructor(options: EventHubOptions) {
    this.log = options.log;
    this.publisher = options.publisher;
    this.subscriber = options.subscriber;
    const subscriber = this.subscriber;
    if (subscriber) {
      subscriber.on('message', (channel: string, message: string) => {
        if (channel === EVENTS_CHANNEL) this.receive(message);
      });
      subscriber.on('ready', () => {
        // ioredis re-subscribes on reconnect; anything published meanwhile is in the log.
        // Catch up now and once more shortly after, when the re-subscription is surely active.
        if (!this.subscribedOnce) return;
        this.resyncAll();
        setTimeout(() => this.resyncAll(), RESYNC_AGAIN_MS).unref();
      });
      subscriber.subscribe(EVENTS_CHANNEL).then(
        () => {
          // Streams opened before the first subscription may have missed other replicas' events.
          if (this.subscribedOnce) return;
          this.subscribedOnce = true;
          this.resyncAll();
        },
        (error: Error) => {
          if (!this.closed) this.log.warn({ error: error.message }, 'could not subscribe to live updates; will retry on reconnect');
        },
      );
    }
  }

  get distributed(): boolean {
    return Boolean(this.subscriber);
  }

  /** Number of listeners (open streams) on this process. */
  get size(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  subscribe(workspaceId: string, listener: HubListener): () => void {
    let set = this.listeners.get(workspaceId);
    if (!set) {
      set = new Set();
      this.listeners.set(workspaceId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(workspaceId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(workspaceId);
    };
  }

  /** Delivers committed events here and on every other replica. Never throws. */
  publish(events: readonly WorkspaceEvent[]): void {
    for (const event of events) {
      this.deliver(event);
      if (this.publisher && this.subscriber) {
        const envelope: Envelope = { origin: this.origin, event };
        this.publisher.publish(EVENTS_CHANNEL, JSON.stringify(envelope)).catch((error: Error) => {
          // The event is in the log: other replicas' clients get it when they resync or reconnect.
          this.log.warn({ error: error.message, eventId: event.id }, 'could not publish a live update to other replicas');
        });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.subscriber?.disconnect();
  }

  private receive(message: string): void {
    let envelope: Partial<Envelope>;
    try {
      envelope = JSON.parse(message) as Partial<Envelope>;
    } catch {
      return;
    }
    if (envelope.origin === this.origin || !isWorkspaceEvent(envelope.event)) return;
    this.deliver(envelope.event);
  }

  private deliver(event: WorkspaceEvent): void {
    const set = this.listeners.get(event.workspaceId);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener.event(event);
      } catch (error) {
        this.log.warn({ error: (error as Error).message }, 'a live update listener failed');
      }
    }
  }

  private resyncAll(): void {
    if (this.closed) return;
    for (const set of this.listeners.values()) {
      for (const listener of [...set]) listener.resync();
    }
  }
}
