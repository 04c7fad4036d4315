import type { AppRouter } from '@darkroom/api';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';

/** Typed hooks for every procedure: `const trpc = useTRPC(); useQuery(trpc.jobs.get.queryOptions(...))`. */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 1000, retry: 3, retryDelay: (attempt) => Math.min(5000, 1000 * 1.5 ** attempt) },
      mutations: { retry: false },
    },
  });
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: '/trpc' })] });
}
