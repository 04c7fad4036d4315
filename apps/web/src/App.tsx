import type { AccountView, JobView, SignUpMode } from '@darkroom/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { ApiKeys } from './components/ApiKeys.js';
import { AuthScreen } from './components/AuthScreen.js';
import { History } from './components/History.js';
import { JobCard } from './components/JobCard.js';
import { SubmitForm, type Remix } from './components/SubmitForm.js';
import { Usage } from './components/Usage.js';
import { OfflineBanner } from './lib/connection.js';
import { follow, FOLLOWED_STORAGE_KEY, loadFollowed, saveFollowed } from './lib/followed.js';
import { LiveUpdates, useLive } from './lib/live.js';
import { useTRPC } from './trpc.js';

// Only admins open it, and its charts (uPlot) are most of its weight: loaded when first shown.
const Admin = lazy(() => import('./components/Admin.js').then((module) => ({ default: module.Admin })));

type View = 'create' | 'usage' | 'keys' | 'admin';
const VIEWS: { view: View; label: string; adminOnly?: boolean }[] = [
  { view: 'create', label: 'Create' },
  { view: 'usage', label: 'Usage & credits' },
  { view: 'keys', label: 'API keys' },
  { view: 'admin', label: 'Admin', adminOnly: true },
];

/** Signed out: sign up / log in. Signed in: the studio, usage and keys. */
export function App() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { refetchInterval: 15_000 }));
  // Whoever signs in or out, nothing cached for the previous account may show.
  const reset = useCallback(() => void queryClient.resetQueries(), [queryClient]);

  if (status.isPending) return <div className="app" aria-busy="true" />;
  // A failed re-check keeps the last answer: an offline moment must not sign anyone out of the page.
  if (!status.data) {
    return (
      <div className="app">
        <OfflineBanner />
        <p className="form-error">Cannot reach Darkroom. It will retry.</p>
      </div>
    );
  }
  if (!status.data.account)
    return <AuthScreen hasAccounts={status.data.hasAccounts} signUpMode={status.data.signUpMode} onSignedIn={reset} />;
  // The live stream is the signed-in account's: it starts with the studio and ends with it.
  return (
    <LiveUpdates>
      <Studio account={status.data.account} signUpMode={status.data.signUpMode} onSignedOut={reset} />
    </LiveUpdates>
  );
}

function Studio({
  account,
  signUpMode,
  onSignedOut,
}: {
  account: AccountView;
  signUpMode: SignUpMode;
  onSignedOut: () => void;
}) {
  const trpc = useTRPC();
  const [view, setView] = useState<View>('create');
  const [followed, setFollowed] = useState<string[]>(() => loadFollowed());
  const logOut = useMutation(
    trpc.auth.logOut.mutationOptions({
      onSuccess: () => {
        setFollowed([]);
        onSignedOut();
      },
    }),
  );

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
  const remixJob = useCallback((job: JobView) => {
    setRemix((current) => ({ job, nonce: (current?.nonce ?? 0) + 1 }));
    setView('create');
    window.scrollTo({ top: 0 });
  }, []);
  const close = useCallback((id: string) => setFollowed((ids) => ids.filter((other) => other !== id)), []);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Darkroom</h1>
        <nav className="app-nav" aria-label="Sections">
          {VIEWS.filter((item) => !item.adminOnly || account.role === 'admin').map((item) => (
            <button
              key={item.view}
              type="button"
              className="tab"
              aria-current={view === item.view ? 'page' : undefined}
              onClick={() => setView(item.view)}
            >
              {item.label}
            </button>
          ))}
        </nav>
        <LiveBadge />
        <div className="account">
          <span className="muted" data-testid="account-email">
            {account.email}
            {account.role === 'admin' ? ' (admin)' : ''} · {account.creditBalance} credits
          </span>
          <button type="button" onClick={() => logOut.mutate()} disabled={logOut.isPending}>
            Log out
          </button>
        </div>
      </header>
      <OfflineBanner />
      {view === 'usage' ? <Usage /> : null}
      {view === 'keys' ? <ApiKeys /> : null}
      {view === 'admin' && account.role === 'admin' ? (
        <Suspense fallback={<p className="muted">Loading the admin view…</p>}>
          <Admin signUpMode={signUpMode} />
        </Suspense>
      ) : null}
      {view === 'create' ? (
        <main className="layout">
          <section className="panel" aria-labelledby="create-heading">
            <h2 id="create-heading">New images</h2>
            <SubmitForm onCreated={openAll} remix={remix} />
          </section>
          <section className="jobs" aria-labelledby="jobs-heading">
            <h2 id="jobs-heading">Jobs</h2>
            {followed.length === 0 ? (
              <p className="empty">Your jobs appear here as soon as you press Generate.</p>
            ) : (
              <div className="job-cards">
                {followed.map((id) => (
                  <JobCard key={id} jobId={id} onClose={() => close(id)} onRemix={remixJob} />
                ))}
              </div>
            )}
            <History onOpen={open} />
          </section>
        </main>
      ) : null}
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
