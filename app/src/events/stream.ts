/**
 * Server-sent event streams: `event: ready` at once, then one message per workspace event
 * (`id:` is the event-log id, so `Last-Event-ID` resumes), and a `: heartbeat` comment every
 * 15 s so proxies and load balancers keep idle streams open. Streams end when the client goes
 * away, when a client reads too slowly, and all at once when the server shuts down (clients
 * reconnect to another replica and resume from the log).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { EventHub } from './hub.ts';
import { eventsAfter, latestEventId } from './store.ts';
import type { WorkspaceEvent } from './types.ts';

export interface EventStreamOptions {
  /** Milliseconds between heartbeat comments. @default 15000 */
  readonly heartbeatMs?: number;
  /** A client that falls this far behind (bytes not yet sent) is disconnected. @default 1 MiB */
  readonly maxBufferedBytes?: number;
  /** Browser reconnect delay suggested with `retry:`. @default 2000 */
  readonly retryMs?: number;
}

export interface StreamTarget {
  readonly workspaceId: string;
  readonly slug: string;
  readonly userId: string;
  /** From `Last-Event-ID`, already validated as a decimal id. */
  readonly lastEventId?: string;
}

const SEEN_LIMIT = 2000;

/** Parses a Last-Event-ID value; anything but a plain decimal id is ignored (a fresh start). */
export function parseLastEventId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!/^\d{1,19}$/.test(trimmed)) return undefined;
  const n = BigInt(trimmed);
  return n > 0n && n <= 9_223_372_036_854_775_807n ? n.toString() : undefined;
}

export class EventStreams {
  private readonly open = new Set<LiveStream>();
  private readonly heartbeatMs: number;
  private readonly maxBufferedBytes: number;
  private readonly retryMs: number;
  private closing = false;

  constructor(
    private readonly hub: EventHub,
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    options: EventStreamOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1_048_576;
    this.retryMs = options.retryMs ?? 2000;
  }

  get size(): number {
    return this.open.size;
  }

  /** Takes over the response and streams until the client leaves or the server closes. */
  async serve(request: FastifyRequest, reply: FastifyReply, target: StreamTarget): Promise<void> {
    reply.hijack();
    const res = reply.raw;
    if (this.closing) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { code: 'not_ready', message: 'The server is shutting down; reconnect shortly' } }));
      return;
    }
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value as string | number | string[];
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    request.raw.socket?.setNoDelay(true);
    request.raw.socket?.setKeepAlive(true);
    const stream = new LiveStream(res, target, {
      log: request.log as unknown as Logger,
      pool: this.pool,
      maxBufferedBytes: this.maxBufferedBytes,
      onClose: () => {
        this.open.delete(stream);
        unsubscribe();
        clearInterval(heartbeat);
        request.log.info({ workspace: target.slug, durationMs: Math.round(performance.now() - startedAt) }, 'event stream closed');
      },
    });
    const startedAt = performance.now();
    this.open.add(stream);
    const unsubscribe = this.hub.subscribe(target.workspaceId, stream);
    const heartbeat = setInterval(() => stream.write(': heartbeat\n\n'), this.heartbeatMs);
    heartbeat.unref();
    request.log.info({ workspace: target.slug, resume: target.lastEventId ?? null }, 'event stream opened');
    await stream.start(this.retryMs);
  }

  /** Ends every open stream now (server shutdown), so closing is not held up by them. */
  closeAll(): void {
    this.closing = true;
    for (const stream of [...this.open]) stream.end();
    this.log.debug({ streams: this.open.size }, 'event streams closed for shutdown');
  }
}

class LiveStream {
  private readonly seen = new Set<string>();
  private maxId = 0n;
  private buffering = true;
  private buffer: WorkspaceEvent[] = [];
  private catchingUp = false;
  private catchUpAgain = false;
  private closed = false;

  constructor(
    private readonly res: import('node:http').ServerResponse,
    private readonly target: StreamTarget,
    private readonly options: { log: Logger; pool: pg.Pool; maxBufferedBytes: number; onClose: () => void },
  ) {
    res.on('close', () => this.cleanup());
    res.on('error', () => this.cleanup());
  }

  async start(retryMs: number): Promise<void> {
    try {
      let resumeFrom = this.target.lastEventId;
      if (resumeFrom !== undefined && BigInt(resumeFrom) > (await this.highestIssuedId())) {
        // An id this database never issued (restored from a backup?): start afresh.
        resumeFrom = undefined;
      }
      if (resumeFrom === undefined) {
        const latest = await latestEventId(this.options.pool, this.target.workspaceId);
        this.maxId = BigInt(latest);
        const idLine = latest !== '0' ? `id: ${latest}\n` : '';
        this.write(`retry: ${retryMs}\n${idLine}event: ready\ndata: ${JSON.stringify({ workspace: this.target.slug, lastEventId: latest })}\n\n`);
        this.flush();
      } else {
        this.maxId = BigInt(resumeFrom);
        this.write(`retry: ${retryMs}\nevent: ready\ndata: ${JSON.stringify({ workspace: this.target.slug, resumedFrom: resumeFrom })}\n\n`);
        await this.catchUp();
      }
    } catch (error) {
      this.options.log.warn({ error: (error as Error).message }, 'event stream could not start; closing it so the client retries');
      this.end();
    }
  }

  /** A live event from the hub. */
  event(event: WorkspaceEvent): void {
    if (this.closed) return;
    if (this.buffering) this.buffer.push(event);
    else this.send(event);
  }

  /** The hub may have missed messages: replay from the log after the newest id sent. */
  resync(): void {
    if (this.closed) return;
    void this.catchUp().catch((error: Error) => {
      this.options.log.warn({ error: error.message }, 'event stream resync failed; closing it so the client resumes');
      this.end();
    });
  }

  write(chunk: string): void {
    if (this.closed || this.res.writableEnded) return;
    this.res.write(chunk);
    if (this.res.writableLength > this.options.maxBufferedBytes) {
      this.options.log.warn({ workspace: this.target.slug }, 'event stream client is too slow; disconnecting it');
      this.res.destroy();
    }
  }

  /** Ends the response and its connection (an idle keep-alive socket would hold up a server close). */
  end(): void {
    if (this.closed) return;
    const socket = this.res.socket;
    if (!this.res.writableEnded) this.res.end(() => socket?.end());
    else socket?.end();
    this.cleanup();
  }

  private async catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = true;
    this.buffering = true;
    try {
      do {
        this.catchUpAgain = false;
        for (;;) {
          const batch = await eventsAfter(this.options.pool, this.target.workspaceId, this.maxId.toString(), 500);
          for (const event of batch) this.send(event);
          if (batch.length < 500 || this.closed) break;
        }
      } while (this.catchUpAgain && !this.closed);
    } finally {
      this.catchingUp = false;
      this.flush();
    }
  }

  private flush(): void {
    this.buffering = false;
    const pending = this.buffer;
    this.buffer = [];
    for (const event of pending) this.send(event);
  }

  private send(event: WorkspaceEvent): void {
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
    const id = BigInt(event.id);
    if (id > this.maxId) this.maxId = id;
    this.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.payload)}\n\n`);
  }

  private async highestIssuedId(): Promise<bigint> {
    const { rows } = await this.options.pool.query<{ last_value: string }>('SELECT last_value FROM workspace_events_id_seq');
    return BigInt(rows[0]?.last_value ?? '0');
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    // A client that went away may leave the socket half-open; do not keep it (or a close) waiting.
    if (!this.res.writableEnded) this.res.destroy();
    this.buffer = [];
    this.options.onClose();
  }
}
