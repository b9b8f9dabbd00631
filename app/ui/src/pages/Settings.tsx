import { useState, type FormEvent } from 'react';
import { api, errorMessage, type AccessToken, type Role } from '../api.ts';
import { loadMembers } from '../members.ts';
import { navigate, useTitle } from '../router.tsx';
import { useSession } from '../session.tsx';
import { useToast } from '../toast.tsx';
import { Avatar, Empty, ErrorBox, Field, fieldErrors, Spinner, Time, useAsync } from '../ui.tsx';

const ROLES: Role[] = ['owner', 'admin', 'member'];

export function Settings({ slug }: { slug: string }) {
  const session = useSession();
  const workspace = session.workspaces.find((w) => w.slug === slug)!;
  useTitle(`Settings · ${workspace.name}`);
  const isAdmin = workspace.role === 'owner' || workspace.role === 'admin';
  return (
    <div className="page narrow">
      <p className="eyebrow">{workspace.name}</p>
      <h1>Settings</h1>
      <Profile />
      <Tokens />
      <WorkspaceSection slug={slug} isAdmin={isAdmin} />
      <Members slug={slug} isAdmin={isAdmin} />
      {isAdmin && <Invitations slug={slug} />}
    </div>
  );
}

function Profile() {
  const session = useSession();
  const toast = useToast();
  const [name, setName] = useState(session.user.name ?? '');
  const [busy, setBusy] = useState(false);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api.updateMe(name.trim());
      await session.refresh();
      toast('Profile saved');
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card settings-section" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Your profile</h2>
      <form onSubmit={save} className="inline-form">
        <Field label="Display name" id="profile-name" hint={`Signed in as ${session.user.email}`}>
          <input id="profile-name" maxLength={80} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <button type="submit" className="button" disabled={busy || name.trim() === (session.user.name ?? '')}>
          Save
        </button>
      </form>
    </section>
  );
}

function WorkspaceSection({ slug, isAdmin }: { slug: string; isAdmin: boolean }) {
  const session = useSession();
  const toast = useToast();
  const workspace = session.workspaces.find((w) => w.slug === slug)!;
  const [name, setName] = useState(workspace.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.renameWorkspace(slug, name.trim());
      await session.refresh();
      toast('Workspace renamed');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card settings-section" aria-labelledby="workspace-heading">
      <h2 id="workspace-heading">Workspace</h2>
      <p className="muted">
        Address <code>/w/{workspace.slug}</code> · issue key <code>{workspace.issueKey}</code> · your role: {workspace.role ?? 'member'}
      </p>
      {isAdmin && (
        <form onSubmit={save} className="inline-form">
          <Field label="Workspace name" id="workspace-name" error={error ? (fieldErrors(error).name ?? errorMessage(error)) : undefined}>
            <input id="workspace-name" required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <button type="submit" className="button" disabled={busy || !name.trim() || name.trim() === workspace.name}>
            Rename
          </button>
        </form>
      )}
    </section>
  );
}

function Tokens() {
  const toast = useToast();
  const tokens = useAsync(() => api.tokens().then((r) => r.tokens), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ token: string; record: AccessToken } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api.createToken(name.trim());
      setCreated(result);
      setName('');
      tokens.setData((all) => [result.record, ...(all ?? [])]);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.token);
      toast('Token copied to the clipboard');
    } catch {
      toast('Copy failed: select the token and copy it by hand', 'error');
    }
  };
  const revoke = async (token: AccessToken) => {
    if (!window.confirm(`Revoke "${token.name}"? Scripts using it stop working at once.`)) return;
    try {
      await api.revokeToken(token.id);
      tokens.setData((all) => (all ?? []).filter((t) => t.id !== token.id));
      if (created?.record.id === token.id) setCreated(null);
      toast(`Revoked ${token.name}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  return (
    <section className="card settings-section" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Personal access tokens</h2>
      <p className="muted">
        Tokens let scripts and the command line act as you: send <code>Authorization: Bearer pat_…</code>.
      </p>
      {created && (
        <div className="token-reveal" role="status">
          <p>
            <strong>Copy your new token now.</strong> It is shown only once.
          </p>
          <div className="token-row">
            <label className="visually-hidden" htmlFor="new-token">
              New token
            </label>
            <input id="new-token" readOnly value={created.token} onFocus={(e) => e.target.select()} className="mono" />
            <button type="button" className="button button-primary" onClick={() => void copy()}>
              Copy
            </button>
          </div>
        </div>
      )}
      <form onSubmit={create} className="inline-form">
        <Field label="Token name" id="token-name" error={fieldErrors(error).name ?? (error ? errorMessage(error) : undefined)}>
          <input id="token-name" required maxLength={80} value={name} placeholder="Laptop CLI" onChange={(e) => setName(e.target.value)} />
        </Field>
        <button type="submit" className="button" disabled={busy || !name.trim()}>
          Create token
        </button>
      </form>
      {tokens.error !== undefined && <ErrorBox error={tokens.error} onRetry={tokens.reload} />}
      {tokens.loading && !tokens.data && <Spinner />}
      {tokens.data && tokens.data.length === 0 && <p className="muted small">No tokens yet.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">Your tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <Time value={t.createdAt} />
                </td>
                <td>
                  <Time value={t.lastUsedAt} />
                </td>
                <td className="cell-actions">
                  <button type="button" className="button button-danger-ghost button-small" onClick={() => void revoke(t)}>
                    Revoke<span className="visually-hidden"> {t.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Members({ slug, isAdmin }: { slug: string; isAdmin: boolean }) {
  const session = useSession();
  const toast = useToast();
  const members = useAsync(() => loadMembers(slug, true), [slug]);

  const changeRole = async (userId: string, role: Role) => {
    try {
      const { member } = await api.changeRole(slug, userId, role);
      members.setData((all) => (all ?? []).map((m) => (m.userId === userId ? { ...m, ...member } : m)));
      toast(`Role changed to ${role}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };
  const remove = async (userId: string, label: string) => {
    const self = userId === session.user.id;
    if (!window.confirm(self ? 'Leave this workspace?' : `Remove ${label} from the workspace?`)) return;
    try {
      await api.removeMember(slug, userId);
      if (self) {
        await session.refresh();
        navigate('/workspaces');
        return;
      }
      members.setData((all) => (all ?? []).filter((m) => m.userId !== userId));
      void loadMembers(slug, true);
      toast(`Removed ${label}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  return (
    <section className="card settings-section" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      {members.error !== undefined && <ErrorBox error={members.error} onRetry={members.reload} />}
      {members.loading && !members.data && <Spinner />}
      {members.data && (
        <ul className="member-list">
          {members.data.map((m) => {
            const label = m.name || m.email;
            const self = m.userId === session.user.id;
            return (
              <li key={m.userId}>
                <Avatar name={m.name} email={m.email} />
                <span className="member-name">
                  {label}
                  {self && <span className="muted"> (you)</span>}
                  {m.name && <span className="muted small block">{m.email}</span>}
                </span>
                {isAdmin && !self ? (
                  <>
                    <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
                      Role of {label}
                    </label>
                    <select id={`role-${m.userId}`} value={m.role} onChange={(e) => void changeRole(m.userId, e.target.value as Role)}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </>
                ) : (
                  <span className="badge">{m.role}</span>
                )}
                {(isAdmin || self) && (
                  <button type="button" className="button button-danger-ghost button-small" onClick={() => void remove(m.userId, label)}>
                    {self ? 'Leave' : 'Remove'}
                    {!self && <span className="visually-hidden"> {label}</span>}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function Invitations({ slug }: { slug: string }) {
  const toast = useToast();
  const invitations = useAsync(() => api.invitations(slug).then((r) => r.invitations), [slug]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** Development without email: the link to pass on by hand. */
  const [handOver, setHandOver] = useState<{ email: string; link: string } | null>(null);
  const errors = fieldErrors(error);

  const invite = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setHandOver(null);
    try {
      const { invitation, emailed, link } = await api.invite(slug, email.trim(), role);
      invitations.setData((all) => [invitation, ...(all ?? [])]);
      if (emailed) toast(`Invited ${invitation.email}: we emailed them a link to join`);
      else if (link) setHandOver({ email: invitation.email, link });
      else toast(`Invited ${invitation.email}. This server sends no email, so tell them to sign in as ${invitation.email} to join`, 'info');
      setEmail('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async (id: string, address: string) => {
    try {
      await api.cancelInvitation(slug, id);
      invitations.setData((all) => (all ?? []).filter((i) => i.id !== id));
      toast(`Cancelled the invitation for ${address}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  };

  return (
    <section className="card settings-section" aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Invitations</h2>
      <p className="muted">Invited people join this workspace the first time they sign in with that email.</p>
      <form onSubmit={invite} className="inline-form">
        <Field label="Email" id="invite-email" error={errors.email ?? (error && !errors.role ? errorMessage(error) : undefined)}>
          <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="teammate@example.com" />
        </Field>
        <Field label="Role" id="invite-role" error={errors.role}>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" className="button" disabled={busy || !email.trim()}>
          Send invitation
        </button>
      </form>
      {handOver && (
        <div className="dev-link" data-testid="invitation-link">
          <p>
            <strong>Development mode:</strong> no email provider is configured, so send {handOver.email} this link yourself:
          </p>
          <input aria-label="Invitation link" readOnly value={handOver.link} onFocus={(e) => e.target.select()} />
        </div>
      )}
      {invitations.error !== undefined && <ErrorBox error={invitations.error} onRetry={invitations.reload} />}
      {invitations.loading && !invitations.data && <Spinner />}
      {invitations.data && invitations.data.length === 0 && <Empty title="No pending invitations" />}
      {invitations.data && invitations.data.length > 0 && (
        <ul className="member-list">
          {invitations.data.map((i) => (
            <li key={i.id}>
              <Avatar email={i.email} />
              <span className="member-name">
                {i.email}
                <span className="muted small block">
                  invited <Time value={i.createdAt} />
                </span>
              </span>
              <span className="badge">{i.role}</span>
              <button type="button" className="button button-danger-ghost button-small" onClick={() => void cancel(i.id, i.email)}>
                Cancel<span className="visually-hidden"> invitation for {i.email}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
