import { isTerminalStatus, type ImageView, type JobView } from '@darkroom/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { describeJobError, describeRequestError } from '../lib/errors.js';
import { useLive } from '../lib/live.js';
import { makePollSchedule } from '../lib/polling.js';
import { useTRPC } from '../trpc.js';

const STAGE_LABELS: Record<string, string> = {
  references: 'Finding references',
  prompts: 'Writing prompts',
  generating: 'Generating',
  storing: 'Storing',
};

/** One job, followed until it ends: status, stage, progress, queue position, images, cancel. */
export function JobCard({ jobId, onClose }: { jobId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const schedule = useRef(makePollSchedule());
  // The live stream brings every change; polling is the fallback for when it is down.
  const live = useLive();
  const job = useQuery(
    trpc.jobs.get.queryOptions(
      { id: jobId },
      {
        refetchInterval: (query) => (live ? false : schedule.current.next(query.state.data)),
        refetchIntervalInBackground: true,
        retry: (failures, error) => (error as { data?: { code?: string } }).data?.code !== 'NOT_FOUND' && failures < 3,
      },
    ),
  );
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: (view) => queryClient.setQueryData(trpc.jobs.get.queryKey({ id: jobId }), view),
    }),
  );

  // A job that just ended changes what history shows.
  const ended = job.data ? isTerminalStatus(job.data.status) : false;
  useEffect(() => {
    if (ended) void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
  }, [ended, queryClient, trpc]);

  if (job.isPending) {
    return (
      <article className="job-card" data-testid="job-card" data-status="loading" aria-busy="true">
        <p className="muted">Loading job…</p>
      </article>
    );
  }
  if (job.isError) {
    return (
      <article className="job-card" data-testid="job-card" data-status="error">
        <p className="form-error">{describeRequestError(job.error)}</p>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </article>
    );
  }

  const view = job.data;
  const active = !isTerminalStatus(view.status);
  return (
    <article className="job-card" data-testid="job-card" data-status={view.status} data-job-id={view.id} aria-labelledby={`job-${view.id}-title`}>
      <header className="job-card-header">
        <div>
          <h3 id={`job-${view.id}-title`} className="job-prompt" title={view.prompt}>
            {view.prompt}
          </h3>
          <p className="muted">
            {view.preset} · {view.aspectRatio} · {view.numImages} image{view.numImages === 1 ? '' : 's'} · {view.priority}
          </p>
        </div>
        <span className={`badge badge-${view.status}`}>{view.status}</span>
      </header>

      <JobProgress view={view} />

      {view.error ? (
        <p className="job-error" role="alert">
          {describeJobError(view.error)} <span className="muted">({view.error.code}: {view.error.message})</span>
        </p>
      ) : null}

      <ul className="image-grid" aria-label="Images">
        {view.images.map((image) => (
          <ImageTile key={image.id} image={image} view={view} />
        ))}
      </ul>

      <footer className="job-card-footer">
        {active ? (
          <button type="button" onClick={() => cancel.mutate({ id: view.id })} disabled={cancel.isPending || view.status === 'canceled'}>
            Cancel
          </button>
        ) : null}
        <button type="button" className="ghost" onClick={onClose} aria-label={`Close job ${view.prompt}`}>
          Close
        </button>
        {cancel.isError ? <span className="form-error">{describeRequestError(cancel.error)}</span> : null}
      </footer>
    </article>
  );
}

function JobProgress({ view }: { view: JobView }) {
  const elapsed = useElapsed(view);
  const stage = view.stage ? STAGE_LABELS[view.stage] ?? view.stage : null;
  const status =
    view.status === 'queued'
      ? `${view.queuePosition === 0 ? 'Next in line' : `Queued · ${view.queuePosition ?? '?'} ahead`}${
          view.estimatedWaitSeconds !== null ? ` · starts in ~${Math.ceil(view.estimatedWaitSeconds)} s` : ''
        }`
      : view.status === 'running'
        ? `${stage ?? 'Running'} · ${view.counts.succeeded}/${view.numImages} done`
        : view.status === 'succeeded' && view.counts.failed > 0
          ? `Done · ${view.counts.succeeded} of ${view.numImages} images (${view.counts.failed} failed)`
          : view.status === 'succeeded'
            ? 'Done'
            : view.status === 'failed'
              ? 'Failed'
              : 'Canceled';
  return (
    <div className="job-progress">
      <div
        className="progress"
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={view.progress}
      >
        <div className="progress-bar" style={{ width: `${view.progress}%` }} />
      </div>
      <p className="muted" aria-live="polite">
        {status}
        {elapsed !== null ? ` · ${elapsed}s` : ''}
      </p>
    </div>
  );
}

/** Seconds since the job started (while it runs), or its total run time once finished. */
function useElapsed(view: JobView): number | null {
  const [now, setNow] = useState(() => Date.now());
  const running = view.status === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  if (!view.startedAt) return null;
  const end = view.finishedAt ? Date.parse(view.finishedAt) : now;
  return Math.max(0, Math.round((end - Date.parse(view.startedAt)) / 1000));
}

function ImageTile({ image, view }: { image: ImageView; view: JobView }) {
  const width = image.width ?? view.width;
  const height = image.height ?? view.height;
  return (
    <li className={`image-tile image-${image.status}`} style={{ aspectRatio: `${width} / ${height}` }}>
      {image.url ? (
        <>
          <img data-testid="job-image" src={image.url} width={width} height={height} alt={`${view.prompt} (image ${image.index + 1})`} loading="lazy" />
          <a className="download" href={image.url} download={`darkroom-${view.id}-${image.index + 1}.${view.outputFormat === 'jpeg' ? 'jpg' : view.outputFormat}`}>
            Download
          </a>
        </>
      ) : (
        <span className="image-placeholder">{image.status === 'failed' ? image.error?.code ?? 'failed' : image.status}</span>
      )}
    </li>
  );
}
