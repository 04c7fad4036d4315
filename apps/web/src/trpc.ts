import type { AppRouter } from '@darkroom/api';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { keepNewerJobViews } from './lib/job-cache.js';

/** Typed hooks for every procedure: `const trpc = useTRPC(); useQuery(trpc.jobs.get.queryOptions(...))`. */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function makeQueryClient() {
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: { staleTime: 1000, retry: 3, retryDelay: (attempt) => Math.min(5000, 1000 * 1.5 ** attempt) },
      mutations: { retry: false },
    },
  });
  keepNewerJobViews(queryClient);
  return queryClient;
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        // Live updates over Server-Sent Events (the browser's EventSource, same origin, same cookies).
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: '/trpc' }),
        // The server takes at most TRPC_MAX_BATCH_SIZE (default 10) calls per batch.
        false: httpBatchLink({ url: '/trpc', maxItems: 10 }),
      }),
    ],
  });
}
