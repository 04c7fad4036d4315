/**
 * `promote`: a low-priority job queued longer than the promotion age moves into the normal band
 * (same slot), so low priority waits longer but never forever. Its queue entry is rescheduled to match.
 */
import { BAND_WIDTH, jobEvent, PRIORITY_BANDS, promotedRank } from '@darkroom/core';
import type { Db } from '../client.js';

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
      await tx.jobEvent.create({
        data: {
          jobId: job.id,
          ...jobEvent('promoted', { from: 'low', to: 'normal', waitedSeconds: olderThanSeconds }),
        },
      });
      promoted.push(job.id);
    });
  }
  return promoted;
}
