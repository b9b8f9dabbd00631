import { useState, type FormEvent } from 'react';
import { api, errorMessage, type Issue, type IssueInput, type IssueStatus, type Priority } from '../api.ts';
import { useMembers } from '../members.ts';
import { Link, navigate, useTitle } from '../router.tsx';
import { useToast } from '../toast.tsx';
import { ErrorBox, Field, fieldErrors, PRIORITY_LABEL, Spinner, STATUS_LABEL, useAsync } from '../ui.tsx';

/** Create a new issue, or edit one when `issueRef` is given. */
export function IssueForm({ slug, issueRef }: { slug: string; issueRef?: string }) {
  const editing = issueRef !== undefined;
  useTitle(editing ? `Edit ${issueRef}` : 'New issue');
  const existing = useAsync<Issue | null>(
    () => (editing ? api.issue(slug, issueRef).then((r) => r.issue) : Promise.resolve(null)),
    [slug, issueRef],
  );
  if (existing.loading) return <Spinner />;
  if (existing.error) return <div className="page narrow"><ErrorBox error={existing.error} onRetry={existing.reload} /></div>;
  return <IssueEditor slug={slug} issue={existing.data ?? null} />;
}

function IssueEditor({ slug, issue }: { slug: string; issue: Issue | null }) {
  const toast = useToast();
  const members = useMembers(slug);
  const [title, setTitle] = useState(issue?.title ?? '');
  const [description, setDescription] = useState(issue?.description ?? '');
  const [status, setStatus] = useState<IssueStatus>(issue?.status ?? 'open');
  const [priority, setPriority] = useState<Priority>(issue?.priority ?? 'none');
  const [assigneeId, setAssigneeId] = useState(issue?.assigneeId ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = fieldErrors(error);
  const cancelTo = issue ? `/w/${slug}/issues/${issue.key}` : `/w/${slug}`;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const input: IssueInput = {
      title: title.trim(),
      description: description.trim() ? description : issue ? null : undefined,
      status,
      priority,
      assigneeId: assigneeId || null,
    };
    try {
      if (issue) {
        const changed: IssueInput = {};
        if (input.title !== issue.title) changed.title = input.title;
        if ((input.description ?? null) !== (issue.description ?? null)) changed.description = input.description ?? null;
        if (input.status !== issue.status) changed.status = input.status;
        if (input.priority !== issue.priority) changed.priority = input.priority;
        if ((input.assigneeId ?? null) !== (issue.assigneeId ?? null)) changed.assigneeId = input.assigneeId;
        const saved = Object.keys(changed).length ? (await api.updateIssue(slug, issue.key, changed)).issue : issue;
        toast(`Saved ${saved.key}`);
        navigate(`/w/${slug}/issues/${saved.key}`);
      } else {
        if (!input.assigneeId) delete input.assigneeId;
        const { issue: created } = await api.createIssue(slug, input);
        toast(`Created ${created.key}`);
        navigate(`/w/${slug}/issues/${created.key}`);
      }
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <div className="page narrow">
      <nav className="breadcrumbs" aria-label="Breadcrumb">
        <Link to={`/w/${slug}`}>Issues</Link>
        <span aria-hidden="true">/</span>
        {issue ? <Link to={cancelTo}>{issue.key}</Link> : <span>New</span>}
      </nav>
      <h1>{issue ? `Edit ${issue.key}` : 'New issue'}</h1>
      <form className="card form-grid" onSubmit={submit}>
        <Field label="Title" id="issue-title" error={errors.title}>
          <input
            id="issue-title"
            required
            maxLength={300}
            autoFocus
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="Short summary of the problem or task"
          />
        </Field>
        <Field label="Description" id="issue-description" hint="Plain text. Steps to reproduce, context, links." error={errors.description}>
          <textarea id="issue-description" rows={8} value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <div className="row-3">
          <Field label="Status" id="issue-status" error={errors.status}>
            <select id="issue-status" value={status} onChange={(e) => setStatus(e.target.value as IssueStatus)}>
              {Object.entries(STATUS_LABEL).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Priority" id="issue-priority" error={errors.priority}>
            <select id="issue-priority" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
              {Object.entries(PRIORITY_LABEL).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Assignee" id="issue-assignee" error={errors.assigneeId}>
            <select id="issue-assignee" value={assigneeId} onChange={(e) => setAssigneeId(e.target.value)}>
              <option value="">Unassigned</option>
              {members.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.name || m.email}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {error !== null && (
          <p className="alert alert-error" role="alert">
            {errorMessage(error)}
          </p>
        )}
        <div className="actions">
          <Link to={cancelTo} className="button button-ghost">
            Cancel
          </Link>
          <button type="submit" className="button button-primary" disabled={busy || !title.trim()}>
            {busy ? 'Saving…' : issue ? 'Save changes' : 'Create issue'}
          </button>
        </div>
      </form>
    </div>
  );
}
