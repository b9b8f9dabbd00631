import { useState, type FormEvent } from 'react';
import { api, errorMessage } from '../api.ts';
import { Link, navigate, useTitle } from '../router.tsx';
import { rememberWorkspace, useSession } from '../session.tsx';
import { useToast } from '../toast.tsx';
import { Empty, Field, fieldErrors } from '../ui.tsx';

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}

export function issueKeyFor(name: string): string {
  const words = name.toUpperCase().replace(/[^A-Z0-9 ]/g, ' ').split(/\s+/).filter(Boolean);
  if (words.length >= 2) return words.map((w) => w[0]).join('').slice(0, 5);
  return (words[0] ?? '').replace(/[^A-Z]/g, '').slice(0, 3);
}

export function Workspaces() {
  useTitle('Workspaces');
  const session = useSession();
  const toast = useToast();
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [issueKey, setIssueKey] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [keyTouched, setKeyTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = fieldErrors(error);

  const onName = (value: string) => {
    setName(value);
    if (!slugTouched) setSlug(slugify(value));
    if (!keyTouched) setIssueKey(issueKeyFor(value));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { workspace } = await api.createWorkspace({ name: name.trim(), slug: slug.trim(), issueKey: issueKey.trim() });
      await session.refresh();
      rememberWorkspace(workspace.slug);
      toast(`Created ${workspace.name}`);
      navigate(`/w/${workspace.slug}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page narrow">
      <h1>Workspaces</h1>
      {session.workspaces.length === 0 ? (
        <Empty title="You are not in a workspace yet">Create one below, or ask a teammate to invite {session.user.email}.</Empty>
      ) : (
        <ul className="workspace-list" aria-label="Your workspaces">
          {session.workspaces.map((w) => (
            <li key={w.slug}>
              <Link to={`/w/${w.slug}`} className="workspace-card" onClick={() => rememberWorkspace(w.slug)}>
                <span className="workspace-key">{w.issueKey}</span>
                <span className="workspace-name">{w.name}</span>
                <span className="muted small">
                  /{w.slug}
                  {w.role ? ` · ${w.role}` : ''}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}

      <section className="card" aria-labelledby="create-workspace">
        <h2 id="create-workspace">Create a workspace</h2>
        <form onSubmit={submit} className="form-grid">
          <Field label="Name" id="ws-name" error={errors.name}>
            <input id="ws-name" required maxLength={80} value={name} onChange={(e) => onName(e.target.value)} placeholder="Engineering" />
          </Field>
          <div className="row-2">
            <Field label="URL slug" id="ws-slug" hint="Lowercase letters, digits and dashes." error={errors.slug}>
              <input
                id="ws-slug"
                required
                pattern="[a-z0-9]+(-[a-z0-9]+)*"
                maxLength={40}
                value={slug}
                onChange={(e) => {
                  setSlugTouched(true);
                  setSlug(e.target.value.toLowerCase());
                }}
                placeholder="engineering"
              />
            </Field>
            <Field label="Issue key" id="ws-key" hint="Prefix of issue numbers, like ENG-42." error={errors.issueKey}>
              <input
                id="ws-key"
                required
                maxLength={10}
                value={issueKey}
                onChange={(e) => {
                  setKeyTouched(true);
                  setIssueKey(e.target.value.toUpperCase());
                }}
                placeholder="ENG"
              />
            </Field>
          </div>
          {error !== null && !Object.keys(errors).length && (
            <p className="alert alert-error" role="alert">
              {errorMessage(error)}
            </p>
          )}
          {error !== null && Object.keys(errors).length > 0 && (
            <p className="visually-hidden" role="alert">
              {errorMessage(error)}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy || !name.trim() || !slug || !issueKey}>
              {busy ? 'Creating…' : 'Create workspace'}
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}
