/** A job's timeline (`jobs.events`), read when opened and again whenever the job changes. */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { describeJobEvent } from '../lib/timeline.js';
import { describeRequestError } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';

export function JobTimeline({ jobId, version }: { jobId: string; version: number }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const events = useQuery(trpc.jobs.events.queryOptions({ id: jobId }, { enabled: open }));
  const { refetch } = events;
  // Every change of the job (its view's version) may have added events: read again while open.
  useEffect(() => {
    if (open) void refetch();
  }, [open, version, refetch]);
  return (
    <details className="job-timeline" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Timeline</summary>
      {events.isError ? <p className="form-error">{describeRequestError(events.error)}</p> : null}
      <ol>
        {(events.data ?? []).map((event) => (
          <li key={event.id}>
            <time dateTime={event.createdAt}>{new Date(event.createdAt).toLocaleTimeString()}</time>{' '}
            {describeJobEvent(event)}
          </li>
        ))}
      </ol>
    </details>
  );
}
