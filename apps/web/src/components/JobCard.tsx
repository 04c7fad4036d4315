import { isTerminalStatus, type ImageView, type JobView } from '@darkroom/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { imageFileName, downloadZip } from '../lib/download.js';
import { JobInputs } from './JobInputs.js';
import { describeJobError, describeRequestError, isRefusal, retryCanHelp } from '../lib/errors.js';
import { jobOutcome, jobCost, jobSummary, outcomeWords } from '../lib/job-words.js';
import { darkroomErrorOf } from '@darkroom/client';
import { useLive } from '../lib/live.js';
import { makePollSchedule } from '../lib/polling.js';
import { useTRPC } from '../trpc.js';
import { EngineInstances } from './EngineInstances.js';
import { JobProgress } from './JobProgress.js';
import { JobTimeline } from './JobTimeline.js';
import { Lightbox, type LightboxImage } from './Lightbox.js';

const IMAGE_STATUS_LABELS: Record<ImageView['status'], string> = {
  pending: 'Pending',
  running: 'Generating',
  succeeded: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

/**
 * One job, followed until it ends: status, stage, progress, queue position, ETA, elapsed time, one slot
 * per image, cancel; then its gallery (lightbox, downloads), copy prompt, remix and retry.
 */
export function JobCard({
  jobId,
  onClose,
  onRemix,
  onEditPrompt = onRemix,
  closeLabel = 'Close',
}: {
  jobId: string;
  onClose: () => void;
  onRemix: (job: JobView) => void;
  /** A refused prompt's next step: the form, filled with this job, focus on its prompt. */
  onEditPrompt?: (job: JobView) => void;
  /** What the button that puts the card away says ("Close" on Create). */
  closeLabel?: string;
}) {
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
        retry: (failures, error) => darkroomErrorOf(error).code !== 'NOT_FOUND' && failures < 3,
      },
    ),
  );
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: (view) => queryClient.setQueryData(trpc.jobs.get.queryKey({ id: jobId }), view),
    }),
  );
  const retry = useMutation(
    trpc.jobs.retry.mutationOptions({
      onSuccess: (view) => {
        queryClient.setQueryData(trpc.jobs.get.queryKey({ id: jobId }), view);
        void queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
      },
    }),
  );
  const [lightbox, setLightbox] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [zipping, setZipping] = useState(false);

  // A job that just ended changes what history and the balance show.
  const ended = job.data ? isTerminalStatus(job.data.status) : false;
  useEffect(() => {
    if (!ended) return;
    void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
    // Its credits were settled (charged or refunded) with the status change: the header's balance moved.
    void queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
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
  const stopping = view.status === 'running' && cancel.isSuccess;
  const outcome = jobOutcome(view, stopping);
  const failures = [
    view.error,
    ...view.images.filter((image) => image.status === 'failed').map((image) => image.error),
  ];
  const hasFailures = view.status === 'failed' || outcome === 'partial';
  const refused = hasFailures && isRefusal(failures);
  const canRetry = hasFailures && retryCanHelp(failures);
  // One reason, said once: the job's, or (when only some images failed) the first image's.
  const reason = view.error ?? (outcome === 'partial' ? (failures.find((error) => error) ?? null) : null);
  const shown: LightboxImage[] = view.images
    .filter((image) => image.url)
    .map((image) => ({
      url: image.url!,
      index: image.index,
      alt: `${view.prompt} (image ${image.index + 1})`,
      fileName: imageFileName(view.id, image.index, image.mime),
      width: image.width ?? view.width,
      height: image.height ?? view.height,
    }));

  async function copyPrompt() {
    try {
      await navigator.clipboard.writeText(view.prompt);
      setNote('Prompt copied');
    } catch {
      setNote('Copy failed: select the prompt and copy it by hand');
    }
  }

  async function downloadAll() {
    setZipping(true);
    setNote(null);
    try {
      await downloadZip(`darkroom-${view.id.slice(0, 8)}`, shown);
    } catch (error) {
      setNote(`Download failed: ${describeRequestError(error)}`);
    } finally {
      setZipping(false);
    }
  }

  return (
    <article
      className="job-card"
      data-testid="job-card"
      data-status={view.status}
      data-outcome={outcome}
      data-job-id={view.id}
      aria-labelledby={`job-${view.id}-title`}
    >
      <header className="job-card-header">
        <div>
          <h3 id={`job-${view.id}-title`} className="job-prompt" title={view.prompt}>
            {view.prompt}
          </h3>
          <p className="muted" data-testid="job-summary">
            {jobSummary(view)}
          </p>
          <p className="muted" data-testid="job-cost">
            {jobCost(view)}
          </p>
        </div>
        <span className={`badge badge-${outcome}`} data-testid="job-badge">
          {outcomeWords(outcome)}
        </span>
      </header>

      <JobProgress view={view} />
      <JobInputs job={view} />
      <EngineInstances view={view} />

      {reason ? (
        <p className="job-error" role="alert" data-testid="job-error">
          {describeJobError(reason)}
        </p>
      ) : null}

      <ul className="image-grid" aria-label="Images">
        {view.images.map((image) => (
          <ImageTile
            key={image.id}
            image={image}
            view={view}
            onOpen={() => setLightbox(shown.findIndex((item) => item.url === image.url))}
          />
        ))}
      </ul>

      <JobTimeline jobId={view.id} version={view.version} />

      <footer className="job-card-footer">
        {refused ? (
          <button type="button" className="primary" onClick={() => onEditPrompt(view)}>
            Edit prompt
          </button>
        ) : null}
        {active ? (
          <button type="button" onClick={() => cancel.mutate({ id: view.id })} disabled={cancel.isPending || stopping}>
            {stopping ? 'Stopping…' : 'Cancel'}
          </button>
        ) : null}
        {shown.length > 0 ? (
          <button type="button" onClick={() => void downloadAll()} disabled={zipping}>
            {zipping ? 'Zipping…' : `Download all (${shown.length}) as .zip`}
          </button>
        ) : null}
        <button type="button" onClick={() => void copyPrompt()}>
          Copy prompt
        </button>
        <button type="button" onClick={() => onRemix(view)}>
          Remix
        </button>
        {canRetry ? (
          <button type="button" onClick={() => retry.mutate({ id: view.id })} disabled={retry.isPending}>
            Retry
          </button>
        ) : null}
        <Link to={`/jobs/${view.id}`} className="button-link ghost" data-testid="job-link">
          Link
        </Link>
        <button
          type="button"
          className="ghost"
          onClick={onClose}
          aria-label={closeLabel === 'Close' ? `Close job ${view.prompt}` : undefined}
        >
          {closeLabel}
        </button>
        {note ? (
          <span className="muted" role="status">
            {note}
          </span>
        ) : null}
        {cancel.isError ? <span className="form-error">{describeRequestError(cancel.error)}</span> : null}
        {retry.isError ? <span className="form-error">{describeRequestError(retry.error)}</span> : null}
      </footer>
      {lightbox !== null && lightbox >= 0 ? (
        <Lightbox images={shown} index={lightbox} onIndex={setLightbox} onClose={() => setLightbox(null)} />
      ) : null}
    </article>
  );
}

/** One image's slot, sized by its aspect ratio from the start so nothing moves when the image arrives. */
function ImageTile({ image, view, onOpen }: { image: ImageView; view: JobView; onOpen: () => void }) {
  const width = image.width ?? view.width;
  const height = image.height ?? view.height;
  const label = IMAGE_STATUS_LABELS[image.status];
  return (
    <li
      className={`image-tile image-${image.status}`}
      data-testid="image-slot"
      data-status={image.status}
      style={{ aspectRatio: `${width} / ${height}` }}
    >
      {image.url ? (
        <>
          <button
            type="button"
            className="image-open"
            onClick={onOpen}
            aria-label={`Open image ${image.index + 1} large`}
          >
            <img
              data-testid="job-image"
              src={image.url}
              width={width}
              height={height}
              alt={`${view.prompt} (image ${image.index + 1})`}
              loading="lazy"
            />
          </button>
          <a
            className="download"
            href={image.url}
            download={imageFileName(view.id, image.index, image.mime)}
            aria-label={`Download image ${image.index + 1}`}
          >
            Download
          </a>
          <Link
            className="download use-as-input"
            to={`/?input=${image.id}`}
            aria-label={`Use image ${image.index + 1} as input`}
          >
            Use
          </Link>
        </>
      ) : image.preview ? (
        <ImagePreview image={image} view={view} preview={image.preview} />
      ) : (
        <span className="image-placeholder">
          {image.index + 1} · {label}
        </span>
      )}
    </li>
  );
}

/** A running image as it develops: the engine's latest preview, stretched to the slot, and its step. */
function ImagePreview({
  image,
  view,
  preview,
}: {
  image: ImageView;
  view: JobView;
  preview: NonNullable<ImageView['preview']>;
}) {
  const step = preview.step !== null && preview.steps ? `step ${preview.step} of ${preview.steps}` : 'developing';
  return (
    <figure className="image-preview">
      <img
        data-testid="image-preview"
        src={preview.url}
        alt={`${view.prompt} (image ${image.index + 1}, ${step})`}
        width={image.width ?? view.width}
        height={image.height ?? view.height}
      />
      <figcaption className="image-preview-step">
        {image.index + 1} · {step.charAt(0).toUpperCase() + step.slice(1)}
      </figcaption>
    </figure>
  );
}
