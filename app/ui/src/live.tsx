import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, type Comment, type Issue } from './api.ts';
// The server's list of event types: a new one reaches the UI without a second copy to update.
import { EVENT_TYPES, isEventType, type LiveMessage } from '../../src/events/types.ts';

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveEvent {
  type: string;
  issue?: Issue;
  /** Present when the event names an issue without carrying the whole record (deleted). */
  issueId?: string;
  issueNumber?: number;
  comment?: Comment;
}

type Listener = (event: LiveEvent) => void;

interface Live {
  state: LiveState;
  subscribe: (listener: Listener) => () => void;
}

const LiveContext = createContext<Live>({ state: 'offline', subscribe: () => () => {} });


/** Reads an event's JSON payload; its shape per type is the server's (EventPayloads). */
export function parseEvent(type: string, raw: string): LiveEvent {
  if (!isEventType(type)) return { type };
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return { type };
  }
  if (!payload || typeof payload !== 'object') return { type };
  const message = { type, payload } as LiveMessage;
  switch (message.type) {
    case 'issue.created':
    case 'issue.updated':
      return { type, issue: message.payload.issue, issueId: message.payload.issue.id, issueNumber: message.payload.issue.number };
    case 'issue.deleted':
      return { type, issueId: message.payload.issueId, issueNumber: message.payload.issueNumber };
    case 'comment.created':
    case 'comment.updated':
      return { type, comment: message.payload.comment, issueId: message.payload.issueId, issueNumber: message.payload.issueNumber };
    case 'comment.deleted':
      return { type, issueId: message.payload.issueId, issueNumber: message.payload.issueNumber };
  }
}

/**
 * One EventSource per open workspace. The browser reconnects on its own and sends
 * Last-Event-ID, so the server can replay what was missed.
 */
export function LiveProvider({ slug, children }: { slug: string; children: ReactNode }) {
  const [state, setState] = useState<LiveState>('connecting');
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    setState('connecting');
    const source = new EventSource(api.eventsUrl(slug), { withCredentials: true });
    const emit = (event: LiveEvent) => {
      for (const listener of listeners.current) listener(event);
    };
    source.addEventListener('open', () => setState('live'));
    source.addEventListener('ready', () => setState('live'));
    source.addEventListener('error', () => setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting'));
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        setState('live');
        emit(parseEvent(type, (message as MessageEvent<string>).data));
      });
    }
    const onOnline = () => {
      if (source.readyState === EventSource.CLOSED) setState('offline');
    };
    window.addEventListener('online', onOnline);
    return () => {
      window.removeEventListener('online', onOnline);
      source.close();
    };
  }, [slug]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const value = useMemo(() => ({ state, subscribe }), [state, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLiveState(): LiveState {
  return useContext(LiveContext).state;
}

/** Calls `onEvent` for each live event while the component is mounted. */
export function useLiveEvents(onEvent: Listener): void {
  const { subscribe } = useContext(LiveContext);
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => subscribe((event) => latest.current(event)), [subscribe]);
}

export function LiveIndicator() {
  const state = useLiveState();
  const label = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline';
  const title =
    state === 'live'
      ? 'Changes by others appear as they happen'
      : state === 'connecting'
        ? 'Connecting to live updates'
        : 'Live updates are off; reload the page to retry';
  return (
    <span className={`live live-${state}`} title={title} data-testid="live-indicator" data-state={state}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}
