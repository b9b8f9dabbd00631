import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, onUnauthenticated, type User, type Workspace } from './api.ts';
import { LiveIndicator, LiveProvider } from './live.tsx';
import { Link, match, navigate, useLocation, useTitle } from './router.tsx';
import { lastWorkspace, SessionContext, useSession, type Session } from './session.tsx';
import { safeNextPath } from '../../src/api/v1/auth/next-path.ts';
import { ToastProvider } from './toast.tsx';
import { Avatar, ErrorBox, Spinner } from './ui.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { Verify } from './pages/Verify.tsx';
import { Workspaces } from './pages/Workspaces.tsx';
import { IssueList } from './pages/IssueList.tsx';
import { IssueDetail } from './pages/IssueDetail.tsx';
import { IssueForm } from './pages/IssueForm.tsx';
import { Settings } from './pages/Settings.tsx';

type Auth = { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'signedOut' } | { status: 'signedIn'; user: User; workspaces: Workspace[] };

export function App() {
  return (
    <ToastProvider>
      <Root />
    </ToastProvider>
  );
}

function Root() {
  const { path, query } = useLocation();
  const [auth, setAuth] = useState<Auth>({ status: 'loading' });

  const load = useCallback(async () => {
    try {
      const me = await api.me();
      setAuth({ status: 'signedIn', user: me.user, workspaces: me.workspaces ?? [] });
    } catch (error) {
      if ((error as { status?: number }).status === 401) setAuth({ status: 'signedOut' });
      else setAuth({ status: 'error', error });
    }
  }, []);

  useEffect(() => {
    if (path !== '/auth/verify') void load();
  }, [load, path === '/auth/verify']); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => onUnauthenticated(() => setAuth({ status: 'signedOut' })), []);

  const session = useMemo<Session | null>(() => {
    if (auth.status !== 'signedIn') return null;
    return {
      user: auth.user,
      workspaces: auth.workspaces,
      refresh: load,
      signOut: async () => {
        try {
          await api.signOut();
        } finally {
          setAuth({ status: 'signedOut' });
          navigate('/signin', { replace: true });
        }
      },
    };
  }, [auth, load]);

  if (path === '/auth/verify') {
    return (
      <Frame>
        <Verify token={query.get('token') ?? ''} onSignedIn={load} />
      </Frame>
    );
  }
  if (auth.status === 'loading') {
    return (
      <Frame>
        <div className="page-center">
          <Spinner />
        </div>
      </Frame>
    );
  }
  if (auth.status === 'error') {
    return (
      <Frame>
        <div className="page-center narrow">
          <ErrorBox error={auth.error} onRetry={() => void load()} />
        </div>
      </Frame>
    );
  }
  if (auth.status === 'signedOut' || !session) {
    return (
      <Frame>
        <SignIn next={path === '/signin' ? query.get('next') : path + (query.size ? `?${query}` : '')} />
      </Frame>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <SignedIn path={path} query={query} />
    </SessionContext.Provider>
  );
}

function SignedIn({ path, query }: { path: string; query: URLSearchParams }) {
  const session = useSession();
  if (path === '/' || path === '/signin') {
    const remembered = lastWorkspace();
    const target =
      session.workspaces.find((w) => w.slug === remembered) ?? (session.workspaces.length === 1 ? session.workspaces[0] : undefined);
    const next = query.get('next');
    return <Redirect to={next && safeNextPath(next) !== '/' ? safeNextPath(next) : target ? `/w/${target.slug}` : '/workspaces'} />;
  }
  if (path === '/workspaces') {
    return (
      <Shell>
        <Workspaces />
      </Shell>
    );
  }
  let params: Record<string, string> | null;
  if ((params = match('/w/:slug', path))) return <InWorkspace slug={params.slug!} screen={<IssueList slug={params.slug!} />} />;
  if ((params = match('/w/:slug/issues/new', path)))
    return <InWorkspace slug={params.slug!} screen={<IssueForm slug={params.slug!} />} />;
  if ((params = match('/w/:slug/issues/:ref/edit', path)))
    return <InWorkspace slug={params.slug!} screen={<IssueForm slug={params.slug!} issueRef={params.ref!} />} />;
  if ((params = match('/w/:slug/issues/:ref', path)))
    return <InWorkspace slug={params.slug!} screen={<IssueDetail slug={params.slug!} issueRef={params.ref!} />} />;
  if ((params = match('/w/:slug/settings', path)))
    return <InWorkspace slug={params.slug!} screen={<Settings slug={params.slug!} />} />;
  return (
    <Shell>
      <NotFound />
    </Shell>
  );
}

function InWorkspace({ slug, screen }: { slug: string; screen: ReactNode }) {
  const session = useSession();
  const workspace = session.workspaces.find((w) => w.slug === slug);
  if (!workspace) {
    return (
      <Shell>
        <NotFound what="workspace" />
      </Shell>
    );
  }
  return (
    <LiveProvider slug={slug}>
      <Shell workspace={workspace}>{screen}</Shell>
    </LiveProvider>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotFound({ what = 'page' }: { what?: string }) {
  useTitle('Not found');
  return (
    <div className="page-center narrow">
      <h1>Not found</h1>
      <p className="muted">This {what} does not exist, or you are not a member of it.</p>
      <Link className="button" to="/workspaces">
        Go to your workspaces
      </Link>
    </div>
  );
}

/** Page chrome for signed-out screens: a centred card and the footer. */
function Frame({ children }: { children: ReactNode }) {
  return (
    <div className="frame">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <main id="main" className="frame-main" tabIndex={-1}>
        {children}
      </main>
      <Footer />
    </div>
  );
}

function Shell({ workspace, children }: { workspace?: Workspace; children: ReactNode }) {
  const session = useSession();
  const { path } = useLocation();
  const onSwitch = (slug: string) => navigate(slug ? `/w/${slug}` : '/workspaces');
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to={workspace ? `/w/${workspace.slug}` : '/workspaces'} className="brand" aria-label="Slipway home">
            <Logo />
            <span>Slipway</span>
          </Link>
          {workspace && (
            <>
              <label className="visually-hidden" htmlFor="workspace-switcher">
                Workspace
              </label>
              <select
                id="workspace-switcher"
                className="workspace-switcher"
                value={workspace.slug}
                onChange={(e) => onSwitch(e.target.value)}
              >
                {session.workspaces.map((w) => (
                  <option key={w.slug} value={w.slug}>
                    {w.name}
                  </option>
                ))}
                <option value="">All workspaces…</option>
              </select>
              <nav aria-label="Workspace" className="topnav">
                <Link to={`/w/${workspace.slug}`} aria-current={path.startsWith(`/w/${workspace.slug}`) && !path.endsWith('/settings') ? 'page' : undefined}>
                  Issues
                </Link>
                <Link to={`/w/${workspace.slug}/settings`} aria-current={path.endsWith('/settings') ? 'page' : undefined}>
                  Settings
                </Link>
              </nav>
              <LiveIndicator />
            </>
          )}
          <div className="topbar-end">
            <span className="user-chip" title={session.user.email}>
              <Avatar name={session.user.name} email={session.user.email} />
              <span className="user-email">{session.user.name || session.user.email}</span>
            </span>
            <button type="button" className="button button-ghost button-small" onClick={() => void session.signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
      <Footer />
    </div>
  );
}

export function Logo() {
  return (
    <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="var(--accent)" />
      <path d="M9 21l7-10 7 10" stroke="white" strokeWidth="3" fill="none" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function Footer() {
  const [release, setRelease] = useState<string | null>(null);
  useEffect(() => {
    api.version().then(
      (v) => setRelease(v.release + (v.commit && v.commit !== 'unknown' ? ` (${v.commit.slice(0, 7)})` : '')),
      () => setRelease(null),
    );
  }, []);
  return (
    <footer className="footer">
      <span>Slipway</span>
      <span aria-hidden="true">·</span>
      <span data-testid="release">{release ? `release ${release}` : 'release unknown'}</span>
    </footer>
  );
}
