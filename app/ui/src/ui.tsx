import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { errorMessage, type FieldIssue, type IssueStatus, type Priority } from './api.ts';

/** Loads data for a screen and keeps the loading / error / data states apart. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: unknown) => mine === seq.current && setState({ error, loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(run, [run]);
  const setData = useCallback((update: (data: T | undefined) => T) => setState((s) => ({ ...s, data: update(s.data) })), []);
  return { ...state, reload: run, setData };
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="alert alert-error" role="alert">
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" className="button button-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <svg aria-hidden="true" viewBox="0 0 48 48" width="48" height="48">
        <rect x="8" y="10" width="32" height="28" rx="6" fill="none" stroke="currentColor" strokeWidth="2.5" />
        <path d="M15 20h18M15 27h11" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" />
      </svg>
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

/** A labelled form control with its validation message (from the API's `issues[].path`). */
export function Field({
  label,
  id,
  hint,
  error,
  children,
}: {
  label: string;
  id: string;
  hint?: string;
  error?: string;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && !error && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function fieldErrors(error: unknown): Record<string, string> {
  const issues = (error as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
  const out: Record<string, string> = {};
  for (const issue of issues) out[issue.path] ??= issue.message;
  return out;
}

export const STATUS_LABEL: Record<IssueStatus, string> = { open: 'Open', in_progress: 'In progress', closed: 'Closed' };
export const PRIORITY_LABEL: Record<Priority, string> = {
  none: 'No priority',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  urgent: 'Urgent',
};

export function StatusBadge({ status }: { status: IssueStatus }) {
  return (
    <span className={`badge status-${status}`}>
      <span className="dot" aria-hidden="true" />
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}

export function PriorityBadge({ priority }: { priority: Priority }) {
  if (priority === 'none') return null;
  return <span className={`badge priority-${priority}`}>{PRIORITY_LABEL[priority] ?? priority}</span>;
}

export function Avatar({ name, email }: { name?: string | null; email?: string }) {
  const text = (name || email || '?').trim();
  const initials = text
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  let hue = 0;
  for (const ch of email ?? text) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return (
    <span className="avatar" style={{ background: `hsl(${hue} 45% 38%)` }} aria-hidden="true">
      {initials || '?'}
    </span>
  );
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span>never</span>;
  const date = new Date(value);
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  let text: string;
  if (abs < 45) text = 'just now';
  else if (abs < 3600) text = relative.format(Math.round(seconds / 60), 'minute');
  else if (abs < 86400) text = relative.format(Math.round(seconds / 3600), 'hour');
  else if (abs < 86400 * 30) text = relative.format(Math.round(seconds / 86400), 'day');
  else text = absolute.format(date);
  return (
    <time dateTime={value} title={absolute.format(date)}>
      {text}
    </time>
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
