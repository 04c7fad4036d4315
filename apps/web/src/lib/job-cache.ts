/**
 * Job views reach the cache from several places that race: the live stream, a card's own fetch, and
 * mutations (cancel, retry) that answer with the view as of their write. Whichever arrives last would
 * win, so a cancel's answer ("running, cancel requested") landing after the stream's "canceled" left a
 * card running for good while the stream looked healthy. Every job view carries a version that only
 * grows (the job's row version plus its images'), so the cache keeps the newer of two views, whatever
 * order they arrive in. Equal versions differ at most in queue place, which is newer in the later one.
 */
import type { JobView } from '@darkroom/core';
import { replaceEqualDeep, type QueryClient } from '@tanstack/react-query';

/** tRPC's key prefix for `jobs.get` queries (`trpc.jobs.get.pathKey()`). */
export const JOB_GET_PATH = [['jobs', 'get']] as const;

/** The view to keep when `next` arrives for a job whose cached view is `previous`. */
export function newerJobView(previous: unknown, next: unknown): unknown {
  if (isJobView(previous) && isJobView(next) && previous.id === next.id && next.version < previous.version)
    return previous;
  return replaceEqualDeep(previous, next);
}

function isJobView(value: unknown): value is Pick<JobView, 'id' | 'version'> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as JobView).version === 'number' &&
    typeof (value as JobView).id === 'string'
  );
}

/** Every `jobs.get` entry, however it is written (fetch, `setQueryData`), keeps the newer view. */
export function keepNewerJobViews(queryClient: QueryClient) {
  queryClient.setQueryDefaults(JOB_GET_PATH, { structuralSharing: newerJobView });
}
