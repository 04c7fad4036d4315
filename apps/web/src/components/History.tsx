import { JOB_STATUSES, type JobStatus } from '@darkroom/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { describeRequestError } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';

const PAGE_SIZE = 10;

/** Every job, newest first, a page at a time; a click opens it as a card. */
export function History({ onOpen }: { onOpen: (jobId: string) => void }) {
  const trpc = useTRPC();
  const [status, setStatus] = useState<JobStatus | ''>('');
  const history = useInfiniteQuery(
    trpc.jobs.list.infiniteQueryOptions(
      { limit: PAGE_SIZE, ...(status ? { status } : {}) },
      { getNextPageParam: (page) => page.nextCursor ?? undefined, refetchInterval: 10_000 },
    ),
  );
  const items = history.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <section className="history" aria-labelledby="history-heading">
      <div className="history-header">
        <h2 id="history-heading">History</h2>
        <label className="inline">
          Status{' '}
          <select value={status} onChange={(event) => setStatus(event.target.value as JobStatus | '')}>
            <option value="">all</option>
            {JOB_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
      </div>
      {history.isError ? <p className="form-error">{describeRequestError(history.error)}</p> : null}
      {history.isSuccess && items.length === 0 ? <p className="empty">No jobs yet.</p> : null}
      <ul className="history-list">
        {items.map((job) => {
          const thumb = job.images.find((image) => image.url);
          return (
            <li key={job.id} data-testid="history-item" data-status={job.status}>
              <button type="button" className="history-entry" onClick={() => onOpen(job.id)}>
                {thumb?.url ? (
                  <img src={thumb.url} alt="" width={48} height={48} loading="lazy" />
                ) : (
                  <span className="thumb-placeholder" aria-hidden="true" />
                )}
                <span className="history-text">
                  <span className="history-prompt">{job.prompt}</span>
                  <span className="muted">
                    {new Date(job.createdAt).toLocaleString()} · {job.numImages} image{job.numImages === 1 ? '' : 's'}
                  </span>
                </span>
                <span className={`badge badge-${job.status}`}>{job.status}</span>
              </button>
            </li>
          );
        })}
      </ul>
      {history.hasNextPage ? (
        <button type="button" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
          {history.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}
