/**
 * Periodic queue upkeep, run by graphile-worker's cron on whichever worker gets there first:
 * promoting low-priority jobs that waited too long, and failing queued jobs whose start deadline passed.
 */
import { promotedRank, PRIORITY_BANDS, BAND_WIDTH } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import type { Task } from 'graphile-worker';
import type { Logger } from 'pino';
import { failJob } from '../pipeline.js';

/**
 * Moves low jobs queued longer than `olderThanSeconds` into the normal band (same slot), so low
 * priority waits longer but never forever. Returns the ids promoted.
 */
export async function promoteAgedJobs(db: Db, olderThanSeconds: number): Promise<string[]> {
  const lowBand = PRIORITY_BANDS.low;
  const aged = await db.$queryRaw<{ id: string; queue_rank: number }[]>`
    select id, queue_rank from jobs
    where status = 'queued' and queue_rank >= ${lowBand}::int and queue_rank < ${lowBand + BAND_WIDTH}::int
      and created_at < now() - make_interval(secs => ${olderThanSeconds}::float8)
    order by created_at limit 500`;
  const promoted: string[] = [];
  for (const job of aged) {
    const rank = promotedRank(job.queue_rank);
    await db.$transaction(async (tx) => {
      const updated = await tx.job.updateMany({
        where: { id: job.id, status: 'queued', queueRank: job.queue_rank },
        data: { queueRank: rank, promotedAt: new Date() },
      });
      if (updated.count !== 1) return;
      await tx.$executeRaw`
        select graphile_worker.reschedule_jobs(
          array(select id from graphile_worker.jobs where key = ${job.id}), priority := ${rank}::int)`;
      await tx.jobEvent.create({ data: { jobId: job.id, type: 'promoted', data: { from: 'low', to: 'normal', waitedSeconds: olderThanSeconds } } });
      promoted.push(job.id);
    });
  }
  return promoted;
}

/** Fails queued jobs whose start deadline has passed, even while every worker is busy elsewhere. */
export async function failExpiredStarts(db: Db): Promise<string[]> {
  const expired = await db.job.findMany({ where: { status: 'queued', startBy: { lt: new Date() } }, select: { id: true, startBy: true }, take: 500 });
  for (const job of expired) {
    await failJob(db, job.id, { code: 'start_deadline_exceeded', message: `no worker started the job before ${job.startBy!.toISOString()}`, retryable: false });
    await db.$executeRaw`select graphile_worker.remove_job(${job.id})`;
  }
  return expired.map((job) => job.id);
}

export function makeMaintenanceTask(options: { db: Db; log: Logger; promoteAfterSeconds: number }): Task {
  return async () => {
    const promoted = await promoteAgedJobs(options.db, options.promoteAfterSeconds);
    const expired = await failExpiredStarts(options.db);
    if (promoted.length || expired.length) options.log.info({ promoted: promoted.length, expired: expired.length }, 'queue maintenance');
  };
}
