import type { AccountView, JobView, SignUpMode } from '@darkroom/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { OfflineBanner } from '../lib/connection.js';
import { follow, FOLLOWED_STORAGE_KEY, loadFollowed, saveFollowed } from '../lib/followed.js';
import { useLive } from '../lib/live.js';
import { NotifyButton, useFinishedJobNotifications } from '../lib/notify.js';
import { useJobsInProgressTitle } from '../lib/title.js';
import type { StudioContext } from '../studio-context.js';
import { useTRPC } from '../trpc.js';
import type { Remix } from './SubmitForm.js';
import { ThemeSwitch } from './ThemeSwitch.js';

const SECTIONS: { to: string; label: string; adminOnly?: boolean }[] = [
  { to: '/', label: 'Create' },
  { to: '/gallery', label: 'Gallery' },
  { to: '/history', label: 'History' },
  { to: '/usage', label: 'Usage & credits' },
  { to: '/keys', label: 'API keys' },
  { to: '/admin', label: 'Admin', adminOnly: true },
];

/** The signed-in frame: header (sections, live badge, account), the page, and the theme switch. */
export function StudioLayout({
  account,
  signUpMode,
  onSignedOut,
}: {
  account: AccountView;
  signUpMode: SignUpMode;
  onSignedOut: () => void;
}) {
  const trpc = useTRPC();
  const navigate = useNavigate();
  const [followed, setFollowed] = useState<string[]>(() => loadFollowed());
  const logOut = useMutation(
    trpc.auth.logOut.mutationOptions({
      onSuccess: () => {
        setFollowed([]);
        onSignedOut();
      },
    }),
  );

  // The newest jobs, to count those in progress for the title (active jobs are the newest ones). Read in
  // the background too: a hidden tab is exactly where the title is looked at (jobs submitted elsewhere).
  const recent = useQuery(
    trpc.jobs.list.queryOptions({ limit: 20 }, { refetchInterval: 5000, refetchIntervalInBackground: true }),
  );
  useJobsInProgressTitle(
    recent.data?.items.filter((job) => job.status === 'queued' || job.status === 'running').length ?? 0,
  );

  useFinishedJobNotifications();

  useEffect(() => saveFollowed(followed), [followed]);
  // Another tab followed or closed a job: show the same cards here.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === FOLLOWED_STORAGE_KEY) setFollowed(loadFollowed());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const [remix, setRemix] = useState<Remix | null>(null);
  const open = useCallback((id: string) => setFollowed((ids) => follow(ids, id)), []);
  const openAll = useCallback(
    (ids: string[]) => setFollowed((current) => ids.reduceRight((all, id) => follow(all, id), current)),
    [],
  );
  const remixJob = useCallback(
    (job: JobView) => {
      setRemix((current) => ({ job, nonce: (current?.nonce ?? 0) + 1 }));
      void navigate('/');
      window.scrollTo({ top: 0 });
    },
    [navigate],
  );
  const close = useCallback((id: string) => setFollowed((ids) => ids.filter((other) => other !== id)), []);
  const context: StudioContext = { account, signUpMode, followed, remix, open, openAll, close, remixJob };

  // After moving to another page, focus goes to the page (screen readers start reading there), unless
  // the page put it somewhere itself (remix focuses the prompt).
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (!main.current?.contains(document.activeElement)) main.current?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to the page
      </a>
      <header className="app-header">
        <h1>
          <Link to="/">Darkroom</Link>
        </h1>
        <nav className="app-nav" aria-label="Sections">
          {SECTIONS.filter((item) => !item.adminOnly || account.role === 'admin').map((item) => (
            <NavLink key={item.to} to={item.to} end={item.to === '/'} className="tab">
              {item.label}
            </NavLink>
          ))}
        </nav>
        <LiveBadge />
        <div className="account">
          <span className="muted account-line" data-testid="account-email">
            <span className="account-address">
              {account.email}
              {account.role === 'admin' ? ' (admin)' : ''} ·{' '}
            </span>
            {account.creditBalance} credits
          </span>
          <button type="button" onClick={() => logOut.mutate()} disabled={logOut.isPending}>
            Log out
          </button>
        </div>
      </header>
      <OfflineBanner />
      <main id="main" ref={main} tabIndex={-1} className="page">
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Outlet context={context} />
        </Suspense>
      </main>
      <footer className="app-footer">
        <ThemeSwitch />
        <NotifyButton />
      </footer>
    </div>
  );
}

/** Says whether cards update live or by polling, so a slow card is explained. */
function LiveBadge() {
  const live = useLive();
  return (
    <span
      className="live-badge"
      data-testid="live-badge"
      data-live={live}
      title={live ? 'Jobs update the moment they change' : 'Live stream unavailable: checking jobs every few seconds'}
    >
      {live ? 'Live' : 'Polling'}
    </span>
  );
}
