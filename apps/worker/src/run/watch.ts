/**
 * The signal a run's provider calls listen to, and why it was aborted.
 */
import { DETACH } from '@darkroom/providers';
import type { Job } from '@darkroom/db';
import type { PipelineDeps } from './deps.js';

/**
 * canceled: someone asked the job to stop. run_timeout: the run passed its deadline. shutdown: the
 * worker is shutting down. broken: one of the run's image lanes threw (a database or storage failure
 * Darkroom could not absorb), so its siblings stop too instead of spending more at the vendor.
 */
export type StopReason = 'canceled' | 'run_timeout' | 'shutdown' | 'broken';

/** Stops that hand the images back (pending, for the next run) rather than end them canceled. */
export function handsBack(reason: StopReason | null): boolean {
  return reason === 'shutdown' || reason === 'broken';
}

export interface RunWatch {
  signal: AbortSignal;
  reason(): StopReason | null;
  /** Aborts the run because one of its lanes broke. */
  breakOff(): void;
  stop(): void;
}

/**
 * Aborted when someone asks for the job to be canceled (heard through `jobChanges`, and checked every
 * `cancelCheckMs`), when the run passes its deadline, when the worker shuts down, or when a lane breaks.
 */
export function watchRun(deps: PipelineDeps, job: Job): RunWatch {
  const controller = new AbortController();
  let reason: StopReason | null = null;
  const stopWith = (why: StopReason) => {
    if (reason) return;
    reason = why;
    // A worker shutting down (or a broken run, which is retried) only stops waiting: the vendor keeps
    // working, and the next run resumes the recorded request instead of paying for another.
    controller.abort(handsBack(why) ? DETACH : why);
  };
  const checkCancel = async () => {
    if (reason) return;
    try {
      const row = await deps.db.job.findUnique({ where: { id: job.id }, select: { cancelRequestedAt: true } });
      if (row?.cancelRequestedAt) stopWith('canceled');
    } catch (error) {
      deps.log.warn({ jobId: job.id, err: error }, 'cancel check failed');
    }
  };
  // Told by Postgres when the job row changes; the notification says whether a cancel was requested, so
  // the worker's own stage and progress writes cost no read. After a reconnect (null) changes may have
  // been missed: read. The interval is the safety net for a notification lost some other way.
  const unsubscribe = deps.jobChanges?.subscribe({ jobId: job.id }, (change) => {
    if (change === null) void checkCancel();
    else if (change.cancelRequested) stopWith('canceled');
  });
  const poll = setInterval(() => void checkCancel(), deps.cancelCheckMs ?? (deps.jobChanges ? 5000 : 500));
  poll.unref();
  const onShutdown = () => stopWith('shutdown');
  deps.shutdownSignal?.addEventListener('abort', onShutdown, { once: true });
  if (deps.shutdownSignal?.aborted) onShutdown();
  const remaining = (job.deadline?.getTime() ?? Number.MAX_SAFE_INTEGER) - Date.now();
  const timeout = setTimeout(() => stopWith('run_timeout'), Math.min(Math.max(0, remaining), 2 ** 31 - 1));
  timeout.unref();
  return {
    signal: controller.signal,
    reason: () => reason,
    breakOff: () => stopWith('broken'),
    stop: () => {
      unsubscribe?.();
      clearInterval(poll);
      clearTimeout(timeout);
      deps.shutdownSignal?.removeEventListener('abort', onShutdown);
    },
  };
}
