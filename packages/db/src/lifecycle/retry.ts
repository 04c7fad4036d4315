/**
 * `retry`: an ended job (failed, canceled, or succeeded with images missing) goes back to the queue for
 * the images it lacks; stored images are kept and not generated or charged again. One transaction with
 * the job row locked (so retention, which locks it too, cannot delete it from under the retry): images
 * reset, the job queued in its owner's backlog, the missing images' credits held, the active-jobs cap
 * checked under the user's row lock, the `retried` event and the queue entry.
 */
import {
  BAND_WIDTH,
  DomainError,
  isTerminalStatus,
  jobEvent,
  PRIORITY_BANDS,
  queueRankFor,
  TASKS,
  type JobStatus,
  type Priority,
} from '@darkroom/core';
import type { Db, Tx } from '../client.js';
import { activeJobsCapError, reserveCredits } from '../credits.js';
import type { Job } from '../generated/prisma/client.js';

export interface RetryOptions {
  jobId: string;
  userId: string;
  /** Queued or running jobs one user may have at once. */
  maxActiveJobs: number;
  /** The caller's own refusals, run with the row locked (e.g. the job's provider turned off since). */
  check?: (job: Job) => void;
}

export async function retryJob(db: Db, { jobId, userId, maxActiveJobs, check }: RetryOptions): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$queryRaw`select id from jobs where id = ${jobId}::uuid and user_id = ${userId}::uuid for update`;
    const job = await tx.job.findFirst({ where: { id: jobId, userId }, include: { images: true } });
    if (!job) throw new DomainError('NOT_FOUND', `job ${jobId} not found`);
    const missing = job.images.filter((image) => image.status !== 'succeeded');
    if (!isTerminalStatus(job.status as JobStatus)) {
      throw new DomainError('INVALID_STATE', `job ${jobId} is ${job.status}; only a finished job can be retried`, {
        status: job.status,
      });
    }
    if (missing.length === 0) {
      throw new DomainError('INVALID_STATE', `job ${jobId} has all its images; there is nothing to retry`, {
        status: job.status,
      });
    }
    check?.(job);
    const queueRank = queueRankFor(job.priority as Priority, await nextSlot(tx, userId, job.priority as Priority));
    await tx.image.updateMany({
      where: { id: { in: missing.map((image) => image.id) } },
      data: {
        status: 'pending',
        attempts: 0,
        errorCode: null,
        errorMessage: null,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
      },
    });
    await tx.job.update({
      where: { id: jobId },
      data: {
        status: 'queued',
        stage: null,
        queueRank,
        errorCode: null,
        errorMessage: null,
        errorRetryable: null,
        cancelRequestedAt: null,
        finishedAt: null,
        deadline: null,
        startBy: null,
        // The images it lacks are paid for again up front, at the job's own price.
        creditsReserved: missing.length * job.creditPrice,
      },
    });
    await reserveCredits(tx, {
      userId,
      jobId,
      amount: missing.length * job.creditPrice,
      note: `retry of ${missing.length} images x ${job.creditPrice}`,
    });
    // After reserveCredits: the user's row lock makes the count exact.
    const active = await tx.job.count({ where: { userId, status: { in: ['queued', 'running'] } } });
    if (active > maxActiveJobs) throw activeJobsCapError(maxActiveJobs);
    const retried = jobEvent('retried', {
      images: missing.map((image) => image.index),
      previousStatus: job.status as 'succeeded' | 'failed' | 'canceled',
    });
    await tx.jobEvent.create({ data: { jobId, ...retried } });
    await tx.$executeRaw`
      select graphile_worker.add_job(${TASKS.generate.identifier}, json_build_object('jobId', ${jobId}::text),
        job_key := ${jobId}::text, priority := ${queueRank}::int, max_attempts := ${TASKS.generate.maxAttempts}::int)`;
  });
}

/**
 * The job's place in its owner's backlog of this priority: after their last queued job, or 0 when
 * they have none queued (see core's queue.ts for why this makes the queue fair between users).
 */
async function nextSlot(tx: Tx, userId: string, priority: Priority): Promise<number> {
  const band = PRIORITY_BANDS[priority];
  const [row] = await tx.$queryRaw<{ last: number | null }[]>`
    select max(queue_rank) as last from jobs
    where user_id = ${userId}::uuid and status = 'queued'
      and queue_rank >= ${band}::int and queue_rank < ${band + BAND_WIDTH}::int`;
  return row?.last === null || row?.last === undefined ? 0 : row.last - band + 1;
}
