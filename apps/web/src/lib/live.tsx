/**
 * One live stream for all of this user's jobs (`jobs.feed`). Every view it brings goes straight into the
 * query cache, so job cards update the moment a worker makes progress. Cards poll with backoff only
 * while the stream is down, and read again once it is back (what happened meanwhile was not heard).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { createContext, useContext, useEffect, useRef, type ReactNode } from 'react';
import { useTRPC } from '../trpc.js';

const LiveContext = createContext(false);

/** Whether the live stream is connected right now. */
export function useLive(): boolean {
  return useContext(LiveContext);
}

export function LiveUpdates({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const feed = useSubscription(
    trpc.jobs.feed.subscriptionOptions(undefined, {
      onData: ({ data: job }) => {
        queryClient.setQueryData(trpc.jobs.get.queryKey({ id: job.id }), job);
      },
    }),
  );
  const live = feed.status === 'pending';
  const wasLive = useRef(false);
  useEffect(() => {
    if (live && !wasLive.current) {
      void queryClient.invalidateQueries({ queryKey: trpc.jobs.get.pathKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
    }
    wasLive.current = live;
  }, [live, queryClient, trpc]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}
