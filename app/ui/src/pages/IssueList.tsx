import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Issue } from '../api.ts';
import { useLiveEvents, type LiveEvent } from '../live.tsx';
import { memberName, useMembers } from '../members.ts';
import { Link, navigate, useLocation, useTitle } from '../router.tsx';
import { rememberWorkspace, useSession } from '../session.tsx';
import { Avatar, Empty, ErrorBox, PriorityBadge, Spinner, StatusBadge, Time } from '../ui.tsx';

const STATUS_FILTERS = [
  { value: 'open,in_progress', label: 'Active' },
  { value: 'open', label: 'Open' },
  { value: 'in_progress', label: 'In progress' },
  { value: 'closed', label: 'Closed' },
  { value: '', label: 'All' },
];
const DEFAULT_STATUS = 'open,in_progress';

interface Filters {
  status: string;
  assignee: string;
  q: string;
}

/** Whether an issue belongs in the list under the current filters (for live patches). */
export function matchesFilters(issue: Issue, filters: Filters, meId: string): boolean {
  if (filters.status && !filters.status.split(',').includes(issue.status)) return false;
  if (filters.assignee === 'me' && issue.assigneeId !== meId) return false;
  if (filters.assignee === 'none' && issue.assigneeId) return false;
  if (filters.assignee && !['me', 'none'].includes(filters.assignee) && issue.assigneeId !== filters.assignee) return false;
  if (filters.q && !issue.title.toLowerCase().includes(filters.q.toLowerCase())) return false;
  return true;
}

function newestFirst(a: Issue, b: Issue): number {
  return b.createdAt.localeCompare(a.createdAt) || b.number - a.number;
}

export function IssueList({ slug }: { slug: string }) {
  const session = useSession();
  const workspace = session.workspaces.find((w) => w.slug === slug)!;
  useTitle(`Issues · ${workspace.name}`);
  useEffect(() => rememberWorkspace(slug), [slug]);
  const { query } = useLocation();
  const filters: Filters = {
    status: query.has('status') ? query.get('status')! : DEFAULT_STATUS,
    assignee: query.get('assignee') ?? '',
    q: query.get('q') ?? '',
  };
  const [search, setSearch] = useState(filters.q);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const members = useMembers(slug, issues.map((i) => i.assigneeId));
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [announcement, setAnnouncement] = useState('');
  const seq = useRef(0);
  const key = `${filters.status}|${filters.assignee}|${filters.q}`;

  const load = useCallback(async () => {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const page = await api.issues(slug, { status: filters.status, assignee: filters.assignee, q: filters.q });
      if (mine !== seq.current) return;
      setIssues(page.issues);
      setCursor(page.nextCursor);
    } catch (err) {
      if (mine === seq.current) setError(err);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slug, key]);

  useEffect(() => {
    void load();
  }, [load]);

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.issues(slug, { ...filters, cursor });
      setIssues((all) => {
        const seen = new Set(all.map((i) => i.id));
        return [...all, ...page.issues.filter((i) => !seen.has(i.id))];
      });
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  const setFilter = (name: keyof Filters, value: string) => {
    const next = new URLSearchParams(query);
    if (name === 'status' ? value === DEFAULT_STATUS : !value) next.delete(name);
    else next.set(name, value);
    navigate(`/w/${slug}${next.size ? `?${next}` : ''}`, { replace: true });
  };

  // Debounced title search, reflected in the URL so the view can be shared or reloaded.
  useEffect(() => {
    if (search === filters.q) return;
    const timer = window.setTimeout(() => setFilter('q', search.trim()), 250);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  const markFresh = (id: string) => {
    setFresh((s) => new Set(s).add(id));
    window.setTimeout(
      () =>
        setFresh((s) => {
          const next = new Set(s);
          next.delete(id);
          return next;
        }),
      2500,
    );
  };

  useLiveEvents((event: LiveEvent) => {
    if (!event.type.startsWith('issue.')) return;
    const issue = event.issue;
    if (event.type === 'issue.deleted') {
      setIssues((all) => all.filter((i) => i.id !== event.issueId && i.number !== event.issueNumber));
      return;
    }
    if (!issue) {
      void load();
      return;
    }
    const fits = matchesFilters(issue, filters, session.user.id);
    setIssues((all) => {
      const without = all.filter((i) => i.id !== issue.id);
      if (!fits) return without;
      const oldest = all[all.length - 1];
      // Only place it if it falls within the loaded window (keyset pages load the rest).
      if (cursor && oldest && newestFirst(issue, oldest) > 0) return without;
      return [...without, issue].sort(newestFirst);
    });
    if (fits) {
      markFresh(issue.id);
      if (event.type === 'issue.created') setAnnouncement(`New issue ${issue.key}: ${issue.title}`);
    }
  });

  const filtered = filters.status !== DEFAULT_STATUS || filters.assignee || filters.q;

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <p className="eyebrow">{workspace.name}</p>
          <h1>Issues</h1>
        </div>
        <Link to={`/w/${slug}/issues/new`} className="button button-primary">
          New issue
        </Link>
      </div>

      <div className="filters" role="search" aria-label="Filter issues">
        <div className="segmented" role="group" aria-label="Status">
          {STATUS_FILTERS.map((s) => (
            <button
              key={s.value || 'all'}
              type="button"
              aria-pressed={filters.status === s.value}
              onClick={() => setFilter('status', s.value)}
            >
              {s.label}
            </button>
          ))}
        </div>
        <label className="visually-hidden" htmlFor="filter-assignee">
          Assignee
        </label>
        <select id="filter-assignee" value={filters.assignee} onChange={(e) => setFilter('assignee', e.target.value)}>
          <option value="">Anyone</option>
          <option value="me">Assigned to me</option>
          <option value="none">Unassigned</option>
          {members
            .filter((m) => m.userId !== session.user.id)
            .map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name || m.email}
              </option>
            ))}
        </select>
        <label className="visually-hidden" htmlFor="filter-q">
          Search titles
        </label>
        <input
          id="filter-q"
          type="search"
          className="search"
          placeholder="Search titles…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>

      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>

      {error !== null && <ErrorBox error={error} onRetry={() => void load()} />}
      {loading && issues.length === 0 && error === null && <Spinner label="Loading issues…" />}
      {!loading && error === null && issues.length === 0 && (
        filtered ? (
          <Empty title="No issues match these filters">
            <button type="button" className="button button-link" onClick={() => navigate(`/w/${slug}`, { replace: true })}>
              Clear filters
            </button>
          </Empty>
        ) : (
          <Empty
            title="No issues yet"
            action={
              <Link to={`/w/${slug}/issues/new`} className="button button-primary">
                Create the first issue
              </Link>
            }
          >
            Issues track bugs, tasks and ideas. Everyone in {workspace.name} sees new ones as they appear.
          </Empty>
        )
      )}
      {issues.length > 0 && (
        <ul className={`issue-list${loading ? ' is-stale' : ''}`} aria-label="Issues" aria-busy={loading}>
          {issues.map((issue) => (
            <li key={issue.id} className={fresh.has(issue.id) ? 'fresh' : undefined}>
              <Link to={`/w/${slug}/issues/${issue.key}`} className="issue-row">
                <span className="issue-key">{issue.key}</span>
                <StatusBadge status={issue.status} />
                <span className="issue-title">{issue.title}</span>
                <PriorityBadge priority={issue.priority} />
                <span className="issue-meta">
                  <Time value={issue.updatedAt} />
                </span>
                <span className="issue-assignee" title={memberName(members, issue.assigneeId)}>
                  {issue.assigneeId ? (
                    <Avatar
                      name={members.find((m) => m.userId === issue.assigneeId)?.name}
                      email={members.find((m) => m.userId === issue.assigneeId)?.email ?? issue.assigneeId}
                    />
                  ) : (
                    <span className="avatar avatar-empty" aria-hidden="true" />
                  )}
                  <span className="visually-hidden">Assignee: {memberName(members, issue.assigneeId)}</span>
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </div>
  );
}
