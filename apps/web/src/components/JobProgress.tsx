/** A job's progress bar and status line: queue place and wait, stage, images done, ETA, elapsed time. */
import type { JobView } from '@darkroom/core';
import { useEffect, useState } from 'react';

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
