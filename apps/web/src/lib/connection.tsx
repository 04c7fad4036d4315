/**
 * Whether Darkroom can be reached: the browser's own online flag, and whether the last request that
 * went out failed for lack of a network. Either shows the offline banner; both recover by themselves
 * (the browser's `online` event, or the next request that gets an answer).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { isNetworkError } from './errors.js';

export function useConnection(): { online: boolean } {
  const queryClient = useQueryClient();
  const [browserOnline, setBrowserOnline] = useState(() => navigator.onLine);
  const [unreachable, setUnreachable] = useState(false);

  useEffect(() => {
    const up = () => {
      setBrowserOnline(true);
      // What changed while offline was not heard: read it again.
      void queryClient.invalidateQueries();
    };
    const down = () => setBrowserOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, [queryClient]);

  useEffect(() => {
    const seen = (error: unknown) => setUnreachable(isNetworkError(error));
    const queries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated') return;
      if (event.action.type === 'error') seen(event.action.error);
      if (event.action.type === 'success') setUnreachable(false);
    });
    const mutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type !== 'updated') return;
      if (event.action.type === 'error') seen(event.action.error);
      if (event.action.type === 'success') setUnreachable(false);
    });
    return () => {
      queries();
      mutations();
    };
  }, [queryClient]);

  return { online: browserOnline && !unreachable };
}

/** A banner while Darkroom cannot be reached; it goes away by itself once requests get through again. */
export function OfflineBanner() {
  const { online } = useConnection();
  if (online) return null;
  return (
    <div className="offline-banner" role="status" data-testid="offline-banner">
      You are offline: Darkroom cannot be reached. Your jobs keep running; this page catches up when the connection is
      back.
    </div>
  );
}
