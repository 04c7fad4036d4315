/**
 * One job's run on a worker: queued -> running(references -> prompts -> generating) -> terminal.
 *
 * Every step is written to the database before the next begins, so a run that dies half-way resumes
 * where it stopped: images already stored are neither regenerated nor stored twice. Status changes go
 * through packages/db's lifecycle (claim, release, end); this file decides which, and when.
 *
 *   run/deps.ts     what a run needs (PipelineDeps)
 *   run/watch.ts    the run's abort signal: cancel, run deadline, shutdown, a broken lane
 *   run/stages.ts   references and prompts, before generating
 *   run/image.ts    one image's attempts at its provider (retry policy, fallback)
 *   run/store.ts    storing what the vendor made (retried; the vendor never called twice for it)
 *   run/failure.ts  what a failure means for the image
 */
import { jobEvent, type JobError } from '@darkroom/core';
import { JobEndedError, lifecycle, SupersededError, type Db, type Job } from '@darkroom/db';
import { activeSpan, ATTR, contextFromTraceParent, markFailed, SpanKind, withSpan } from '@darkroom/telemetry';
import { jobDuration, jobsFinished } from './metrics.js';
import type { PipelineDeps } from './run/deps.js';
import { generateImage, runModeration } from './run/image.js';
import { loadInputs, MissingInputError } from './run/inputs.js';
import { chooseReferences, preparePrompts, recordReferences } from './run/stages.js';
import { handsBack, watchRun, type StopReason } from './run/watch.js';

export type { PipelineDeps } from './run/deps.js';
export { INTERNAL_IMAGE_FAILURE } from './run/failure.js';
export { SupersededError, JobEndedError };

/**
 * What became of a run: the job ended (or was already over); it must wait for its owner's cap; or this
 * worker is shutting down and handed the job back to the queue for another.
 */
export type RunOutcome =
  { kind: 'finished' } | { kind: 'deferred'; queueRank: number } | { kind: 'released'; queueRank: number };

export async function runJob(deps: PipelineDeps, jobId: string): Promise<RunOutcome> {
  const claimedFrom = new Date();
  const claim = await claimStart(deps, jobId);
  if (claim.kind === 'deferred') return claim;
  if (claim.kind === 'over') return { kind: 'finished' };
  const started = claim.job;
  // `job.run` continues the trace of the request that accepted the job (its traceparent is on the row,
  // answered by the claim, so the span is dated from before the claim).
  return withSpan(
    'job.run',
    {
      kind: SpanKind.CONSUMER,
      parent: contextFromTraceParent(started.traceParent),
      startTime: claimedFrom,
      attributes: {
        [ATTR.jobId]: started.id,
        [ATTR.provider]: started.provider,
        [ATTR.images]: started.numImages,
        [ATTR.priority]: started.priority,
        [ATTR.jobAttempt]: started.attempts,
        'darkroom.worker.id': deps.workerId,
      },
    },
    async (span) => {
      const outcome = await runClaimed(deps, started);
      span.setAttribute('darkroom.run.outcome', outcome.kind);
      return outcome;
    },
  );
}

async function runClaimed(deps: PipelineDeps, started: Job): Promise<RunOutcome> {
  const { db } = deps;
  const jobId = started.id;
  const missing = await missingProvider(deps, started);
  if (missing !== null) {
    // Never a stand-in: the job was priced for this provider, and another would make other images (F3).
    await endRun(
      deps,
      started.id,
      {
        kind: 'fail',
        error: {
          code: 'provider_unavailable',
          message: `provider ${missing} is not enabled on the worker that took this job`,
          retryable: false,
        },
      },
      started.attempts,
    );
    deps.log.warn({ jobId: started.id, provider: missing }, 'job names a provider this worker does not run; failed it');
    return { kind: 'finished' };
  }
  const moderation = runModeration(deps, started);
  if (moderation !== started.moderation) {
    await db.jobEvent.create({
      data: {
        jobId,
        ...jobEvent('warning', {
          stage: 'generating',
          message: `moderation ${started.moderation} is below this deployment's minimum; the images are made at ${moderation}`,
        }),
      },
    });
  }
  const watch = watchRun(deps, started);
  // Images this worker did not start because it is shutting down.
  let leftForOthers = false;
  let broke: unknown;
  try {
    // The claim entered the references stage; the prompts' write records the choice and enters the next.
    const chosen = await chooseReferences(deps, started);
    const { references } = chosen;
    const inputs = await loadInputs(deps, started).catch((error: unknown) => {
      if (!(error instanceof MissingInputError)) throw error;
      return error;
    });
    // An input's file is gone from storage: no provider and no retry can make these images.
    if (inputs instanceof MissingInputError) {
      await recordReferences(db, jobId, chosen);
      await endRun(
        deps,
        jobId,
        { kind: 'fail', error: { code: 'invalid_request', message: inputs.message, retryable: false } },
        started.attempts,
      );
      return { kind: 'finished' };
    }
    const images = await preparePrompts(db, started, chosen);
    // Pending and running images are made; so are canceled ones of a job still running (a worker
    // killed during an older version's shutdown left them so). Failed images stay failed.
    const todo = images.filter((image) => image.status !== 'succeeded' && image.status !== 'failed');
    await forEachLimited(todo, deps.imageConcurrency, async (image) => {
      if (watch.signal.aborted || broke !== undefined) return;
      if (deps.drainSignal?.aborted) {
        leftForOthers = true;
        return;
      }
      // An image a fallback provider took over stays with it: its recorded request id is that provider's.
      const providerName = image.provider ?? started.provider;
      try {
        await withSpan(
          'image.generate',
          { attributes: { [ATTR.jobId]: jobId, [ATTR.imageIndex]: image.index, [ATTR.provider]: providerName } },
          () => generateImage(deps, { job: started, image, providerName, references, inputs, watch }),
        );
      } catch (error) {
        // One lane broke: its siblings stop too (their vendor calls are detached, not canceled, and
        // their images go back to pending), and the error goes up once every lane has stopped.
        broke ??= error;
        watch.breakOff();
      }
    });
  } finally {
    watch.stop();
  }
  if (broke !== undefined) {
    if (broke instanceof JobEndedError) return { kind: 'finished' };
    throw broke;
  }
  const reason = watch.reason();
  // A cancel, the run deadline or a shutdown, as the run's trace tells it.
  if (reason !== null) activeSpan()?.addEvent('job.stop', { reason });
  if (handsBack(reason) || (leftForOthers && reason === null)) return releaseRun(deps, started);
  await endRun(
    deps,
    started.id,
    { kind: 'settle', stopReason: reason === 'run_timeout' ? 'run_timeout' : null },
    started.attempts,
  );
  return { kind: 'finished' };
}

/**
 * Puts a job this worker could not finish before shutting down back in the queue, keeping its stored
 * images. A job whose cancel arrived meanwhile is ended (canceled) instead: nobody wants it resumed.
 */
async function releaseRun(deps: PipelineDeps, job: Job): Promise<RunOutcome> {
  const released = await lifecycle.releaseJob(deps.db, job, deps.workerId, 'worker shutting down');
  if (released.kind === 'released') return released;
  await endRun(deps, job.id, { kind: 'settle' }, job.attempts);
  return { kind: 'finished' };
}

/**
 * The first provider the run would need that this worker does not run: the job's own, or the one a
 * fallback moved an unfinished image to; null when every one is enabled (or the deps cannot tell).
 */
async function missingProvider(deps: PipelineDeps, job: Job): Promise<string | null> {
  const { isEnabled } = deps;
  if (!isEnabled) return null;
  if (!isEnabled(job.provider)) return job.provider;
  // Only an earlier run's fallback moves an image to another provider: a first run need not look.
  if (job.attempts <= 1) return null;
  const moved = await deps.db.image.findMany({
    where: { jobId: job.id, provider: { not: null }, status: { notIn: ['succeeded', 'failed'] } },
    select: { provider: true },
  });
  return moved.map((image) => image.provider!).find((name) => !isEnabled(name)) ?? null;
}

type Claim = { kind: 'run'; job: Job } | { kind: 'deferred'; queueRank: number } | { kind: 'over' };

/**
 * Decides, in one statement with the job row locked, whether this run may start: the job is still
 * queued (or running, after a crash), its start deadline has not passed, and its owner is under the
 * running cap (checked under a per-user advisory lock, so two workers cannot both take the last place).
 */
async function claimStart(deps: PipelineDeps, jobId: string): Promise<Claim> {
  const { db, log } = deps;
  const claim = await lifecycle.claimJob(db, jobId, deps.workerId, deps.maxRunningPerUser ?? 0);
  switch (claim.outcome) {
    case 'run':
      return { kind: 'run', job: claim.job };
    case 'deferred':
      return { kind: 'deferred', queueRank: claim.queueRank };
    case 'finish':
      await endRun(deps, jobId, { kind: 'settle' });
      return { kind: 'over' };
    case 'fail':
      await failJob(db, jobId, {
        code: 'start_deadline_exceeded',
        message: `no worker started the job before ${claim.startBy.toISOString()}`,
        retryable: false,
      });
      return { kind: 'over' };
    case 'over':
      if (!(await db.job.count({ where: { id: jobId } }))) log.warn({ jobId }, 'job row not found; nothing to run');
      return { kind: 'over' };
  }
}

/** Ends the job through the lifecycle's `end`, fenced by this run's claim, and counts it. */
async function endRun(deps: PipelineDeps, jobId: string, ending: lifecycle.Ending, attempt?: number) {
  const ended = await lifecycle.endJob(deps.db, jobId, ending, attempt === undefined ? {} : { attempt });
  if (ended) countFinished(ended.status, ended.startedAt);
  const span = ended ? activeSpan() : undefined;
  if (!ended || !span) return;
  const { status, succeeded, failed, code } = ended.finished;
  span.addEvent('job.end', { status, succeeded, failed, ...(code ? { [ATTR.errorType]: code } : {}) });
  if (status === 'failed') markFailed(span, code ?? 'failed');
}

/** Prometheus: one more job ended, and how long it ran. */
export function countFinished(status: 'succeeded' | 'failed' | 'canceled', startedAt: Date | null) {
  jobsFinished.inc({ status });
  if (startedAt) jobDuration.observe({ status }, (Date.now() - startedAt.getTime()) / 1000);
}

/** Ends a job that cannot run at all (bad payload, retries exhausted) with one clear error. */
export async function failJob(db: Db, jobId: string, error: JobError): Promise<void> {
  const ended = await lifecycle.endJob(db, jobId, { kind: 'fail', error });
  if (ended) countFinished('failed', ended.startedAt);
}

export type { StopReason };

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
