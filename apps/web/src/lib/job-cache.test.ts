import type { AppRouter } from '@darkroom/api';
import type { JobView } from '@darkroom/core';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { describe, expect, it } from 'vitest';
import { makeQueryClient } from '../trpc.js';
import { JOB_GET_PATH } from './job-cache.js';

const view = (version: number, status: JobView['status'], queuePosition: number | null = null) =>
  ({ id: 'job-1', version, status, queuePosition }) as unknown as JobView;

function setup() {
  const queryClient = makeQueryClient();
  // Never called: only the query keys tRPC would use are read from it.
  const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: 'http://127.0.0.1:9/trpc' })] });
  const trpc = createTRPCOptionsProxy<AppRouter>({ client, queryClient });
  return { queryClient, key: trpc.jobs.get.queryKey({ id: 'job-1' }), pathKey: trpc.jobs.get.pathKey() };
}

describe('the job view cache', () => {
  it('is registered under the key tRPC gives jobs.get', () => {
    const { pathKey } = setup();
    expect(pathKey).toEqual(JOB_GET_PATH);
  });

  it('keeps the stream\'s "canceled" when a cancel\'s older "running" answer arrives after it', () => {
    const { queryClient, key } = setup();
    queryClient.setQueryData(key, view(7, 'canceled'));
    queryClient.setQueryData(key, view(6, 'running'));
    expect(queryClient.getQueryData(key)).toMatchObject({ status: 'canceled', version: 7 });
  });

  it('keeps the newer view when a fetch that crossed it answers late', async () => {
    const { queryClient, key } = setup();
    queryClient.setQueryData(key, view(9, 'succeeded'));
    await queryClient.fetchQuery({ queryKey: key, queryFn: () => view(4, 'running'), staleTime: 0 });
    expect(queryClient.getQueryData(key)).toMatchObject({ status: 'succeeded', version: 9 });
  });

  it('takes a newer view, and the later of two equal versions (a queue place moved)', () => {
    const { queryClient, key } = setup();
    queryClient.setQueryData(key, view(2, 'queued', 5));
    queryClient.setQueryData(key, view(2, 'queued', 3));
    expect(queryClient.getQueryData(key)).toMatchObject({ version: 2, queuePosition: 3 });
    queryClient.setQueryData(key, view(3, 'running'));
    expect(queryClient.getQueryData(key)).toMatchObject({ version: 3, status: 'running' });
    // A retried job goes back to queued with a higher version: that is newer, not older.
    queryClient.setQueryData(key, view(8, 'failed'));
    queryClient.setQueryData(key, view(9, 'queued', 0));
    expect(queryClient.getQueryData(key)).toMatchObject({ version: 9, status: 'queued' });
  });
});
