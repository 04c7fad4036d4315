import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useCallback } from 'react';
import { AuthScreen } from './components/AuthScreen.js';
import { OfflineBanner } from './lib/connection.js';
import { loadStudio } from './studio-loader.js';
import { useTRPC } from './trpc.js';

// The signed-in app is a chunk of its own: the sign-up page loads only what it shows.
const SignedIn = lazy(() => loadStudio().then((module) => ({ default: module.SignedIn })));

/**
 * Signed out: sign up / log in, at whatever address was asked for, so a deep link opens once signed
 * in (the router, in the studio's chunk, reads the address when it starts). Signed in: the studio's
 * pages, each at its own URL.
 */
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
        <main id="main">
          <p className="form-error">Cannot reach Darkroom. It will retry.</p>
        </main>
      </div>
    );
  }
  if (!status.data.account)
    return <AuthScreen hasAccounts={status.data.hasAccounts} signUpMode={status.data.signUpMode} onSignedIn={reset} />;
  return (
    <Suspense fallback={<div className="app" aria-busy="true" />}>
      <SignedIn account={status.data.account} signUpMode={status.data.signUpMode} onSignedOut={reset} />
    </Suspense>
  );
}
