/** A job's progress bar and status line: queue place and wait, stage, images done, ETA, elapsed time. */
import type { JobView } from '@darkroom/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '../trpc.js';
import { startText } from './StartEstimate.js';

const STAGE_LABELS: Record<string, string> = {
  references: 'Finding references',
  prompts: 'Writing prompts',
  generating: 'Generating',
  storing: 'Storing',
};

export function JobProgress({ view }: { view: JobView }) {
  const elapsed = useElapsed(view);
  const stage = view.stage ? (STAGE_LABELS[view.stage] ?? view.stage) : null;
  const status =
    view.status === 'queued'
      ? `${view.queuePosition === 0 ? 'Next in line' : `Queued · ${view.queuePosition ?? '?'} ahead`}${
          startText(view) ? ` · ${startText(view)}` : ''
        }`
      : view.status === 'running'
        ? `${stage ?? 'Running'} · ${view.counts.succeeded}/${view.numImages} done`
        : view.status === 'succeeded' && view.counts.failed > 0
          ? `Partly done · ${view.counts.succeeded} of ${view.numImages} images made, ${view.counts.failed} failed`
          : view.status === 'succeeded'
            ? 'Done'
            : view.status === 'failed'
              ? 'Failed'
              : 'Canceled';
  // A job that ended without all its images has no progress to show: a full bar would say "done".
  const bar = view.status !== 'failed' && view.status !== 'canceled' && view.counts.failed === 0;
  return (
    <div className="job-progress">
      {bar ? (
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
      ) : null}
      <p className="muted">
        {/* Screen readers hear what changed in the job; the clock ticking every second stays quiet. */}
        <span aria-live="polite" data-testid="job-status-text">
          {status}
        </span>
        <span>
          {view.status === 'running' ? eta(view, elapsed) : ''}
          {elapsed !== null ? ` · ${elapsed} s elapsed` : ''}
        </span>
      </p>
    </div>
  );
}

/** Time left while running, from the pace so far (elapsed per percent of progress). */
function eta(view: JobView, elapsed: number | null): string {
  if (elapsed === null || view.progress <= 0 || view.progress >= 100) return '';
  return ` · ~${Math.max(1, Math.round((elapsed * (100 - view.progress)) / view.progress))} s left`;
}

/**
 * When this run started. `startedAt` is the first run's start; after a Retry the clock must start
 * again, so a retried job reads its timeline for the last start (null while the retry waits in line).
 */
function useRunStart(view: JobView): string | null {
  const trpc = useTRPC();
  const retried = view.attempts > 1 && view.startedAt !== null;
  const events = useQuery(trpc.jobs.events.queryOptions({ id: view.id }, { enabled: retried }));
  const { refetch } = events;
  useEffect(() => {
    if (retried) void refetch();
  }, [retried, view.status, view.attempts, refetch]);
  if (!retried) return view.startedAt;
  let start: string | null = null;
  for (const event of events.data ?? []) {
    if (event.type === 'started' && !event.data.resumed) start = event.createdAt;
    else if (event.type === 'retried') start = null;
  }
  return start;
}

/** Seconds since this run started (while it runs), or the run's total time once finished. */
function useElapsed(view: JobView): number | null {
  const [now, setNow] = useState(() => Date.now());
  const running = view.status === 'running';
  const start = useRunStart(view);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  if (!start) return null;
  const end = view.finishedAt ? Date.parse(view.finishedAt) : now;
  return Math.max(0, Math.round((end - Date.parse(start)) / 1000));
}
