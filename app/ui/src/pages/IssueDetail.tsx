import { useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { api, errorMessage, uploadFile, type Attachment, type Comment, type Issue, type IssueInput, type IssueStatus, type Priority } from '../api.ts';
import { useCapabilities } from '../capabilities.ts';
import { useLiveEvents } from '../live.tsx';
import { memberName, useMembers } from '../members.ts';
import { Link, navigate, useTitle } from '../router.tsx';
import { useSession } from '../session.tsx';
import { useToast } from '../toast.tsx';
import {
  Avatar,

  ErrorBox,
  formatBytes,
  PRIORITY_LABEL,
  PriorityBadge,
  Spinner,
  STATUS_LABEL,
  StatusBadge,
  Time,
  useAsync,
} from '../ui.tsx';

export function IssueDetail({ slug, issueRef }: { slug: string; issueRef: string }) {
  const session = useSession();
  const toast = useToast();
  const issue = useAsync(() => api.issue(slug, issueRef).then((r) => r.issue), [slug, issueRef]);
  const comments = useAsync(() => api.comments(slug, issueRef).then((r) => r.comments), [slug, issueRef]);
  const members = useMembers(slug, [issue.data?.authorId, issue.data?.assigneeId, ...(comments.data ?? []).map((c) => c.authorId)]);
  const [saving, setSaving] = useState(false);
  const [liveNote, setLiveNote] = useState('');
  useTitle(issue.data ? `${issue.data.key} ${issue.data.title}` : issueRef);
  const role = session.workspaces.find((w) => w.slug === slug)?.role;
  const isAdmin = role === 'owner' || role === 'admin';

  useLiveEvents((event) => {
    const current = issue.data;
    if (!current) return;
    const mine = event.issueId === current.id || event.issueNumber === current.number || event.issue?.id === current.id;
    if (event.type === 'issue.updated' && mine) {
      if (event.issue) issue.setData(() => event.issue!);
      else issue.reload();
      setLiveNote(`${current.key} was updated`);
    } else if (event.type === 'issue.deleted' && mine) {
      toast(`${current.key} was deleted`, 'info');
      navigate(`/w/${slug}`);
    } else if (event.type.startsWith('comment.')) {
      const commentIssue = event.comment?.issueId ?? event.issueId;
      if (!commentIssue || commentIssue === current.id) {
        comments.reload();
        if (event.type === 'comment.created') setLiveNote('A new comment was added');
      }
    }
  });

  if (issue.loading && !issue.data) return <Spinner label="Loading issue…" />;
  if (issue.error || !issue.data) {
    return (
      <div className="page narrow">
        <ErrorBox error={issue.error} onRetry={issue.reload} />
        <Link to={`/w/${slug}`}>Back to issues</Link>
      </div>
    );
  }
  const current = issue.data;

  const update = async (input: IssueInput, action?: 'close' | 'reopen') => {
    setSaving(true);
    try {
      const result =
        action === 'close'
          ? await api.closeIssue(slug, current.key)
          : action === 'reopen'
            ? await api.reopenIssue(slug, current.key)
            : await api.updateIssue(slug, current.key, input);
      issue.setData(() => result.issue);
      toast(action === 'close' ? `Closed ${current.key}` : action === 'reopen' ? `Reopened ${current.key}` : `Updated ${current.key}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    if (!window.confirm(`Delete ${current.key} "${current.title}"? This cannot be undone.`)) return;
    try {
      await api.deleteIssue(slug, current.key);
      toast(`Deleted ${current.key}`);
      navigate(`/w/${slug}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  return (
    <div className="page">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to={`/w/${slug}`}>Issues</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{current.key}</span>
      </nav>
      <p className="visually-hidden" aria-live="polite">
        {liveNote}
      </p>
      <div className="detail">
        <article className="detail-main">
          <header className="detail-header">
            <h1>
              <span className="issue-key">{current.key}</span> {current.title}
            </h1>
            <div className="detail-sub">
              <StatusBadge status={current.status} />
              <PriorityBadge priority={current.priority} />
              <span className="muted small">
                Opened by {memberName(members, current.authorId)} <Time value={current.createdAt} />
                {current.updatedAt !== current.createdAt && (
                  <>
                    {' '}
                    · updated <Time value={current.updatedAt} />
                  </>
                )}
              </span>
            </div>
          </header>
          <section className="card description" aria-label="Description">
            {current.description ? <p className="prose">{current.description}</p> : <p className="muted">No description.</p>}
          </section>

          <Attachments slug={slug} issue={current} userId={session.user.id} isAdmin={isAdmin} />

          <section aria-labelledby="comments-heading" className="comments">
            <h2 id="comments-heading">
              Comments{comments.data && comments.data.length > 0 ? ` (${comments.data.length})` : ''}
            </h2>
            {comments.error !== undefined && <ErrorBox error={comments.error} onRetry={comments.reload} />}
            {comments.loading && !comments.data && <Spinner label="Loading comments…" />}
            {comments.data && comments.data.length === 0 && <p className="muted">No comments yet. Start the discussion below.</p>}
            {comments.data && comments.data.length > 0 && (
              <ol className="comment-list">
                {comments.data.map((comment) => (
                  <CommentItem
                    key={comment.id}
                    slug={slug}
                    comment={comment}
                    authorName={memberName(members, comment.authorId)}
                    authorEmail={members.find((m) => m.userId === comment.authorId)?.email}
                    canEdit={comment.authorId === session.user.id}
                    canDelete={comment.authorId === session.user.id || isAdmin}
                    onChanged={(next) =>
                      comments.setData((all) => (all ?? []).map((c) => (c.id === next.id ? next : c)))
                    }
                    onDeleted={() => comments.setData((all) => (all ?? []).filter((c) => c.id !== comment.id))}
                  />
                ))}
              </ol>
            )}
            <NewComment
              slug={slug}
              issueRef={current.key}
              onAdded={(comment) =>
                comments.setData((all) => ((all ?? []).some((c) => c.id === comment.id) ? all ?? [] : [...(all ?? []), comment]))
              }
            />
          </section>
        </article>

        <aside className="detail-side card" aria-label="Issue properties">
          <label htmlFor="side-status">Status</label>
          <select id="side-status" value={current.status} disabled={saving} onChange={(e) => void update({ status: e.target.value as IssueStatus })}>
            {Object.entries(STATUS_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          <label htmlFor="side-priority">Priority</label>
          <select id="side-priority" value={current.priority} disabled={saving} onChange={(e) => void update({ priority: e.target.value as Priority })}>
            {Object.entries(PRIORITY_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          <label htmlFor="side-assignee">Assignee</label>
          <select
            id="side-assignee"
            value={current.assigneeId ?? ''}
            disabled={saving}
            onChange={(e) => void update({ assigneeId: e.target.value || null })}
          >
            <option value="">Unassigned</option>
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name || m.email}
                {m.userId === session.user.id ? ' (you)' : ''}
              </option>
            ))}
          </select>
          <div className="side-actions">
            <Link to={`/w/${slug}/issues/${current.key}/edit`} className="button button-block">
              Edit
            </Link>
            {current.status === 'closed' ? (
              <button type="button" className="button button-block" disabled={saving} onClick={() => void update({}, 'reopen')}>
                Reopen issue
              </button>
            ) : (
              <button type="button" className="button button-block" disabled={saving} onClick={() => void update({}, 'close')}>
                Close issue
              </button>
            )}
            <button type="button" className="button button-danger-ghost button-block" onClick={() => void remove()}>
              Delete
            </button>
          </div>
        </aside>
      </div>
    </div>
  );
}

function CommentItem({
  slug,
  comment,
  authorName,
  authorEmail,
  canEdit,
  canDelete,
  onChanged,
  onDeleted,
}: {
  slug: string;
  comment: Comment;
  authorName: string;
  authorEmail?: string;
  canEdit: boolean;
  canDelete: boolean;
  onChanged: (comment: Comment) => void;
  onDeleted: () => void;
}) {
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [body, setBody] = useState(comment.body);
  const [busy, setBusy] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { comment: saved } = await api.editComment(slug, comment.id, body);
      onChanged(saved);
      setEditing(false);
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!window.confirm('Delete this comment?')) return;
    try {
      await api.deleteComment(slug, comment.id);
      onDeleted();
      toast('Comment deleted');
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  return (
    <li className="comment">
      <Avatar name={authorName} email={authorEmail ?? authorName} />
      <div className="comment-body">
        <div className="comment-head">
          <strong>{authorName}</strong>
          <span className="muted small">
            <Time value={comment.createdAt} />
            {comment.updatedAt && comment.updatedAt !== comment.createdAt ? ' · edited' : ''}
          </span>
          {!editing && (canEdit || canDelete) && (
            <span className="comment-actions">
              {canEdit && (
                <button type="button" className="button button-link" onClick={() => setEditing(true)}>
                  Edit
                </button>
              )}
              {canDelete && (
                <button type="button" className="button button-link danger" onClick={() => void remove()}>
                  Delete
                </button>
              )}
            </span>
          )}
        </div>
        {editing ? (
          <form onSubmit={save} className="comment-edit">
            <label className="visually-hidden" htmlFor={`edit-${comment.id}`}>
              Edit comment
            </label>
            <textarea id={`edit-${comment.id}`} rows={3} value={body} autoFocus onChange={(e) => setBody(e.target.value)} />
            <div className="actions">
              <button
                type="button"
                className="button button-ghost button-small"
                onClick={() => {
                  setBody(comment.body);
                  setEditing(false);
                }}
              >
                Cancel
              </button>
              <button type="submit" className="button button-primary button-small" disabled={busy || !body.trim()}>
                Save
              </button>
            </div>
          </form>
        ) : (
          <p className="prose">{comment.body}</p>
        )}
      </div>
    </li>
  );
}

function NewComment({ slug, issueRef, onAdded }: { slug: string; issueRef: string; onAdded: (comment: Comment) => void }) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { comment } = await api.addComment(slug, issueRef, body.trim());
      onAdded(comment);
      setBody('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="new-comment card" onSubmit={submit}>
      <label htmlFor="new-comment">Add a comment</label>
      <textarea
        id="new-comment"
        rows={3}
        value={body}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey) && body.trim()) void submit(e);
        }}
        placeholder="Write a comment…  (Ctrl+Enter to send)"
        aria-describedby={error ? 'new-comment-error' : undefined}
      />
      {error && (
        <p className="field-error" id="new-comment-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={busy || !body.trim()}>
          {busy ? 'Posting…' : 'Comment'}
        </button>
      </div>
    </form>
  );
}

function Attachments({ slug, issue, userId, isAdmin }: { slug: string; issue: Issue; userId: string; isAdmin: boolean }) {
  const toast = useToast();
  const capabilities = useCapabilities();
  const list = useAsync(() => api.attachments(slug, issue.key).then((r) => r.attachments), [slug, issue.key]);
  const [uploading, setUploading] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  // Known before anyone picks a file: the server says whether it stores attachments at all.
  const notConfigured = capabilities?.attachments.enabled === false || (list.error as { status?: number } | undefined)?.status === 503;
  const canAttach = capabilities?.attachments.enabled === true;

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setUploading(file.name);
    try {
      const attachment = await uploadFile(slug, issue.key, file);
      list.setData((all) => [...(all ?? []).filter((a) => a.id !== attachment.id), attachment]);
      toast(`Uploaded ${file.name}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      setUploading(null);
    }
  };

  const download = async (attachment: Attachment) => {
    try {
      const { url } = await api.downloadUrl(slug, attachment.id);
      const link = document.createElement('a');
      link.href = url;
      link.download = attachment.filename;
      link.rel = 'noopener';
      document.body.append(link);
      link.click();
      link.remove();
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  const remove = async (attachment: Attachment) => {
    if (!window.confirm(`Delete ${attachment.filename}?`)) return;
    try {
      await api.deleteAttachment(slug, attachment.id);
      list.setData((all) => (all ?? []).filter((a) => a.id !== attachment.id));
      toast(`Deleted ${attachment.filename}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  return (
    <section className="attachments" aria-labelledby="attachments-heading">
      <div className="section-head">
        <h2 id="attachments-heading">Attachments</h2>
        {canAttach && (
          <>
            <input
              ref={input}
              id="attachment-file"
              type="file"
              className="visually-hidden"
              tabIndex={-1}
              aria-hidden="true"
              onChange={(e) => void onFile(e)}
            />
            <button type="button" className="button button-small" disabled={uploading !== null} onClick={() => input.current?.click()}>
              {uploading ? `Uploading ${uploading}…` : 'Attach file'}
            </button>
          </>
        )}
      </div>
      {notConfigured && (
        <p className="muted small" data-testid="attachments-off">
          Attachments are not configured on this server.
        </p>
      )}
      {notConfigured && !list.data?.length ? null : list.error !== undefined ? (
        <ErrorBox error={list.error} onRetry={list.reload} />
      ) : list.loading && !list.data ? (
        <Spinner label="Loading attachments…" />
      ) : list.data && list.data.length > 0 ? (
        <ul className="attachment-list">
          {list.data.map((a) => (
            <li key={a.id}>
              <svg className="file-icon" aria-hidden="true" viewBox="0 0 16 16" width="16" height="16">
                <path d="M4 1.5h5l3.5 3.5v9.5h-8.5z M9 1.5v3.5h3.5" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinejoin="round" />
              </svg>
              <span className="attachment-name">{a.filename}</span>
              <span className="muted small">{formatBytes(a.sizeBytes)}</span>
              <button type="button" className="button button-link" onClick={() => void download(a)}>
                Download<span className="visually-hidden"> {a.filename}</span>
              </button>
              {(a.uploaderId === userId || isAdmin) && (
                <button type="button" className="button button-link danger" onClick={() => void remove(a)}>
                  Delete<span className="visually-hidden"> {a.filename}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : notConfigured ? null : (
        <p className="muted small">No files attached.</p>
      )}
    </section>
  );
}

