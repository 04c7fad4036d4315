import { JOB_STATUSES, PRESET_DEFINITIONS, PRESETS, type JobView } from '@darkroom/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { describeRequestError } from '../lib/errors.js';
import { groupByBatch, listFilters, NO_FILTERS, type Filters } from '../lib/history.js';
import { jobCost, jobOutcome, outcomeWords } from '../lib/job-words.js';
import { useTRPC } from '../trpc.js';

const PAGE_SIZE = 10;

/** Every job, newest first, a page at a time, filtered and searchable; a click opens it as a card. */
export function History({ onOpen }: { onOpen: (jobId: string) => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  // Typing in the search box asks once the typing pauses.
  const [search, setSearch] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setFilters((current) => ({ ...current, search })), 300);
    return () => clearTimeout(timer);
  }, [search]);
  const history = useInfiniteQuery(
    trpc.jobs.list.infiniteQueryOptions(
      { limit: PAGE_SIZE, ...listFilters(filters) },
      { getNextPageParam: (page) => page.nextCursor ?? undefined, refetchInterval: 10_000 },
    ),
  );
  // The projects the jobs name, to pick from (a job's projectId is set through the API).
  const projects = useQuery(trpc.gallery.projects.queryOptions(undefined, { staleTime: 30_000 }));
  const items = history.data?.pages.flatMap((page) => page.items) ?? [];
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) =>
    setFilters((current) => ({ ...current, [key]: value }));
  const filtered = Object.values(filters).some(Boolean) || search !== '';

  return (
    <section className="history" aria-labelledby="history-heading">
      <div className="history-header">
        <h2 id="history-heading">History</h2>
        {filtered ? (
          <button
            type="button"
            className="link"
            onClick={() => {
              setFilters(NO_FILTERS);
              setSearch('');
            }}
          >
            Clear filters
          </button>
        ) : null}
      </div>
      <form
        className="history-filters"
        role="search"
        aria-label="Filter history"
        onSubmit={(event) => event.preventDefault()}
      >
        <div className="field">
          <label htmlFor={`${id}-search`}>Search prompts</label>
          <input
            id={`${id}-search`}
            type="search"
            value={search}
            placeholder="lighthouse"
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-status`}>Status</label>
          <select
            id={`${id}-status`}
            value={filters.status}
            onChange={(event) => set('status', event.target.value as Filters['status'])}
          >
            <option value="">all</option>
            {JOB_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-preset`}>Preset</label>
          <select
            id={`${id}-preset`}
            value={filters.preset}
            onChange={(event) => set('preset', event.target.value as Filters['preset'])}
          >
            <option value="">all</option>
            {PRESETS.map((value) => (
              <option key={value} value={value}>
                {PRESET_DEFINITIONS[value].label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-project`}>Project</label>
          <select
            id={`${id}-project`}
            value={filters.projectId}
            onChange={(event) => set('projectId', event.target.value)}
          >
            <option value="">all</option>
            {projects.data?.map((project) => (
              <option key={project.projectId} value={project.projectId}>
                {project.projectId} ({project.jobs})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-from`}>From</label>
          <input
            id={`${id}-from`}
            type="date"
            value={filters.from}
            onChange={(event) => set('from', event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>To</label>
          <input id={`${id}-to`} type="date" value={filters.to} onChange={(event) => set('to', event.target.value)} />
        </div>
      </form>
      {history.isError ? <p className="form-error">{describeRequestError(history.error)}</p> : null}
      {history.isSuccess && items.length === 0 ? (
        <p className="empty">{filtered ? 'No jobs match these filters.' : 'No jobs yet.'}</p>
      ) : null}
      <ul className="history-list" aria-busy={history.isFetching}>
        {groupByBatch(items).map((group) =>
          group.batchId && group.jobs.length > 1 ? (
            <li key={group.key} className="history-batch" data-testid="history-batch">
              <p className="muted">
                Batch · {group.jobs.length} prompts · {new Date(group.jobs[0]!.createdAt).toLocaleString()}
              </p>
              <ul className="history-list">
                {group.jobs.map((job) => (
                  <HistoryEntry key={job.id} job={job} onOpen={onOpen} />
                ))}
              </ul>
            </li>
          ) : (
            <HistoryEntry key={group.key} job={group.jobs[0]!} onOpen={onOpen} />
          ),
        )}
      </ul>
      {history.hasNextPage ? (
        <button type="button" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
          {history.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}

function HistoryEntry({ job, onOpen }: { job: JobView; onOpen: (jobId: string) => void }) {
  const thumb = job.images.find((image) => image.url);
  return (
    <li data-testid="history-item" data-status={job.status} data-job-id={job.id}>
      <button type="button" className="history-entry" onClick={() => onOpen(job.id)}>
        {thumb?.url ? (
          <img src={thumb.url} alt="" width={48} height={48} loading="lazy" />
        ) : (
          <span className="thumb-placeholder" aria-hidden="true" />
        )}
        <span className="history-text">
          <span className="history-prompt">{job.prompt}</span>
          <span className="muted">
            {new Date(job.createdAt).toLocaleString()} · {PRESET_DEFINITIONS[job.preset].label} · {job.numImages} image
            {job.numImages === 1 ? '' : 's'}
            {job.projectId ? ` · ${job.projectId}` : ''}
          </span>
          <span className="muted" data-testid="history-cost">
            {jobCost(job)}
          </span>
        </span>
        <span className={`badge badge-${jobOutcome(job)}`}>{outcomeWords(jobOutcome(job))}</span>
      </button>
    </li>
  );
}
