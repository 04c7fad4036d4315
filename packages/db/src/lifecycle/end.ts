/**
 * `end`: the one writer of every terminal status (succeeded, failed, canceled).
 *
 * One transaction with the job row locked: the fence (the caller's claim still holds), the status
 * decided, images not finished marked canceled, held credits settled (charged for stored images,
 * the rest refunded), the status with its one `finished` event, the `job.finished` webhook and, for a
 * job that never left the queue, its queue entry removed. Nothing else writes a terminal status, so
 * every end has the same event shape and the same settlement.
 */
import { jobEvent, type ErrorCode, type FinishedEventData, type JobError, type JobStatus } from '@darkroom/core';
import type { Db, Tx } from '../client.js';
import { settleJobCredits } from '../credits.js';
import { enqueueJobWebhook } from '../webhooks.js';
import { SupersededError } from './fences.js';

export type Ending =
  /** The worker's end of a run: the status follows from what the images became. */
  | { kind: 'settle'; stopReason?: 'run_timeout' | null }
  /** The job cannot run (bad payload, start deadline, retries exhausted, abandoned). */
  | { kind: 'fail'; error: JobError }
  /** Canceled before any run (a cancel while queued). */
  | { kind: 'cancel'; reason: string };

export interface EndOptions {
  /** The claim the caller holds (`jobs.attempts` when it claimed): a later claim fences it out. */
  attempt?: number;
  /** End only a job in one of these statuses (a cancel while queued: `['queued']`); else nothing is written. */
  from?: readonly JobStatus[];
}

export interface Ended {
  status: 'succeeded' | 'failed' | 'canceled';
  /** The status it ended from. */
  previous: 'queued' | 'running';
  startedAt: Date | null;
  finished: FinishedEventData;
}

interface Locked {
  status: JobStatus;
  attempts: number;
  cancel_requested_at: Date | null;
  started_at: Date | null;
  num_images: number;
  run_timeout_s: number;
  webhook_url: string | null;
  succeeded: number;
  failed: number;
  unfinished: number;
  first_error_code: string | null;
  first_error_message: string | null;
}

/** Ends the job; answers what it wrote, or null when it was already over (or not in `from`). */
export async function endJob(db: Db, jobId: string, ending: Ending, options: EndOptions = {}): Promise<Ended | null> {
  return db.$transaction((tx) => endJobIn(tx, jobId, ending, options));
}

/** `endJob` inside the caller's transaction. */
export async function endJobIn(tx: Tx, jobId: string, ending: Ending, options: EndOptions = {}): Promise<Ended | null> {
  const [job] = await tx.$queryRaw<Locked[]>`
    select j.status::text as status, j.attempts, j.cancel_requested_at, j.started_at, j.num_images, j.run_timeout_s, j.webhook_url,
      count(*) filter (where i.status = 'succeeded')::int as succeeded,
      count(*) filter (where i.status = 'failed')::int as failed,
      count(*) filter (where i.status in ('pending', 'running'))::int as unfinished,
      (array_agg(i.error_code order by i.index) filter (where i.status = 'failed'))[1] as first_error_code,
      (array_agg(i.error_message order by i.index) filter (where i.status = 'failed'))[1] as first_error_message
    from (select * from jobs where id = ${jobId}::uuid for update) j
    left join images i on i.job_id = j.id
    group by j.id, j.status, j.attempts, j.cancel_requested_at, j.started_at, j.num_images, j.run_timeout_s, j.webhook_url`;
  if (!job) return null;
  if (options.attempt !== undefined && job.attempts !== options.attempt)
    throw new SupersededError(jobId, options.attempt);
  if (job.status !== 'queued' && job.status !== 'running') return null;
  if (options.from && !options.from.includes(job.status)) return null;
  const previous = job.status;

  const { status, error, reason } = decide(job, ending);
  // Images never finished (a cancel arrived first, the job failed) end as canceled, not pending forever.
  if (job.unfinished > 0) {
    await tx.$executeRaw`update images set status = 'canceled', finished_at = coalesce(finished_at, now()) where job_id = ${jobId}::uuid and status in ('pending', 'running')`;
  }
  const credits = await settleJobCredits(tx, jobId);
  const { data: finished } = jobEvent('finished', {
    status,
    succeeded: job.succeeded,
    failed: job.failed,
    credits,
    ...(error ? { code: error.code } : {}),
    ...(reason ? { reason } : {}),
  });
  await tx.$executeRaw`
    with ended as (
      update jobs set status = ${status}::"JobStatus", stage = null, finished_at = now(),
        cancel_requested_at = case when ${status} = 'canceled' then coalesce(cancel_requested_at, now()) else cancel_requested_at end,
        progress = case when ${status} = 'succeeded' then 100 else progress end,
        error_code = ${error?.code ?? null}, error_message = ${error?.message ?? null}, error_retryable = ${error?.retryable ?? null}::boolean,
        updated_at = now()
      where id = ${jobId}::uuid returning id)
    insert into job_events (job_id, type, data) select id, 'finished', ${JSON.stringify(finished)}::jsonb from ended`;
  if (job.webhook_url) await enqueueJobWebhook(tx, jobId);
  // A job that never left the queue takes its queue entry with it (one a worker holds is disarmed).
  if (previous === 'queued') await tx.$executeRaw`select graphile_worker.remove_job(${jobId}::text)`;
  return { status, previous, startedAt: job.started_at, finished };
}

function decide(job: Locked, ending: Ending): { status: Ended['status']; error: JobError | null; reason?: string } {
  switch (ending.kind) {
    case 'cancel':
      return { status: 'canceled', error: null, reason: ending.reason };
    case 'fail':
      return { status: 'failed', error: ending.error };
    case 'settle': {
      if (job.cancel_requested_at) return { status: 'canceled', error: null };
      if (ending.stopReason === 'run_timeout') {
        return {
          status: 'failed',
          error: {
            code: 'run_timeout',
            message: `the run took longer than ${job.run_timeout_s} s; ${job.succeeded} of ${job.num_images} images were stored and kept`,
            retryable: true,
          },
        };
      }
      if (job.succeeded > 0) return { status: 'succeeded', error: null };
      const error: JobError = job.first_error_code
        ? {
            code: job.first_error_code as ErrorCode,
            message: `no image was produced: ${job.first_error_message ?? 'unknown error'}`,
            retryable: false,
          }
        : { code: 'internal', message: 'no image was produced', retryable: false };
      return { status: 'failed', error };
    }
  }
}
