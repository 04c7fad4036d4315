import { useCallback, useEffect, useState } from 'react';
import { History } from './components/History.js';
import { JobCard } from './components/JobCard.js';
import { SubmitForm } from './components/SubmitForm.js';
import { follow, FOLLOWED_STORAGE_KEY, loadFollowed, saveFollowed } from './lib/followed.js';
import { useLive } from './lib/live.js';

export function App() {
  const [followed, setFollowed] = useState<string[]>(() => loadFollowed());

  useEffect(() => saveFollowed(followed), [followed]);
  // Another tab followed or closed a job: show the same cards here.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === FOLLOWED_STORAGE_KEY) setFollowed(loadFollowed());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const open = useCallback((id: string) => setFollowed((ids) => follow(ids, id)), []);
  const close = useCallback((id: string) => setFollowed((ids) => ids.filter((other) => other !== id)), []);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Darkroom</h1>
        <p className="tagline">Ask for images; follow them as they develop.</p>
        <LiveBadge />
      </header>
      <main className="layout">
        <section className="panel" aria-labelledby="create-heading">
          <h2 id="create-heading">New images</h2>
          <SubmitForm onCreated={open} />
        </section>
        <section className="jobs" aria-labelledby="jobs-heading">
          <h2 id="jobs-heading">Jobs</h2>
          {followed.length === 0 ? (
            <p className="empty">Your jobs appear here as soon as you press Generate.</p>
          ) : (
            followed.map((id) => <JobCard key={id} jobId={id} onClose={() => close(id)} />)
          )}
          <History onOpen={open} />
        </section>
      </main>
    </div>
  );
}

/** Says whether cards update live or by polling, so a slow card is explained. */
function LiveBadge() {
  const live = useLive();
  return (
    <span className="live-badge" data-testid="live-badge" data-live={live} title={live ? 'Jobs update the moment they change' : 'Live stream unavailable: checking jobs every few seconds'}>
      {live ? 'Live' : 'Polling'}
    </span>
  );
}
