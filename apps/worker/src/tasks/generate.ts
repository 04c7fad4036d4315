import type { Task } from 'graphile-worker';
import { GeneratePayload } from '@darkroom/core';
import { z } from 'zod';
import { failJob, JobEndedError, runJob, SupersededError, type PipelineDeps } from '../pipeline.js';

/**
 * What the API enqueues: only the job's id. Our `jobs` row is the source of truth; a payload can
 * outlive the code that queued it, so it is parsed here, at the boundary.
 */
/** How long a job waits before trying again when its owner is at the running cap. */
const DEFER_MS = 500;

/** core's task catalog holds the payload's schema, shared with the code that enqueues. */
export { GeneratePayload };

export function makeGenerateTask(deps: PipelineDeps): Task {
  return async (payload, helpers) => {
    const parsed = GeneratePayload.safeParse(payload);
    if (!parsed.success) {
      const message = `malformed generate payload: ${z.prettifyError(parsed.error)}`;
      const jobId = jobIdIn(payload);
      deps.log.error({ jobId, payload }, message);
      // The same payload would fail the same way: end the job now instead of retrying.
      if (jobId) await failJob(deps.db, jobId, { code: 'invalid_payload', message, retryable: false });
      return;
    }
    if (helpers.job.key !== parsed.data.jobId) {
      // A stale entry: the job was queued again under a new entry while a worker held this one (a
      // cancel, then a retry), and graphile-worker cleared this one's key. The job's own entry runs it;
      // this one must not claim it, or it would take over a live run and the losing worker would stop.
      deps.log.warn(
        { jobId: parsed.data.jobId, entry: helpers.job.id },
        'stale generate entry; the job has a newer one',
      );
      return;
    }
    try {
      const outcome = await runJob(deps, parsed.data.jobId);
      if (outcome.kind !== 'finished') {
        // Deferred (its owner is at the running cap: again a moment later) or released (this worker is
        // shutting down: now, for another worker). A job key whose job is running makes graphile-worker
        // create a new job, so this one completes normally.
        await helpers.addJob(
          'generate',
          { jobId: parsed.data.jobId },
          {
            jobKey: parsed.data.jobId,
            priority: outcome.queueRank,
            runAt: new Date(Date.now() + (outcome.kind === 'deferred' ? DEFER_MS : 0)),
            maxAttempts: helpers.job.max_attempts,
          },
        );
      }
    } catch (error) {
      // The job ended under the run (the sweep ended it past its deadline): this entry is done.
      if (error instanceof JobEndedError) return;
      if (error instanceof SupersededError) {
        // Thrown, not completed: graphile-worker fails a job only while this worker still holds its
        // lock (completing would delete the queue entry the new owner is running).
        deps.log.fatal({ jobId: parsed.data.jobId }, error.message);
        deps.onSuperseded?.(error);
        throw error;
      }
      // graphile-worker retries a thrown task with backoff; on the last attempt the job must still end.
      if (helpers.job.attempts >= helpers.job.max_attempts) {
        deps.log.error({ jobId: parsed.data.jobId, err: error }, 'generate task failed for the last time');
        await failJob(deps.db, parsed.data.jobId, {
          code: 'internal',
          message: `gave up after ${helpers.job.attempts} attempts (something went wrong inside Darkroom)`,
          retryable: true,
        }).catch((failError) => deps.log.error({ err: failError }, 'could not record the job failure'));
      }
      throw error;
    }
  };
}

/** The job id in a payload that failed validation, when there is a usable one. */
function jobIdIn(payload: unknown): string | null {
  const candidate = (payload as { jobId?: unknown } | null)?.jobId;
  return z.string().uuid().safeParse(candidate).success ? (candidate as string) : null;
}
