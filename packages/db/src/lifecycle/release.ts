/**
 * `release`: a run hands its job back to the queue (its worker is shutting down, or one of its image
 * lanes broke), keeping the stored images. The job waits in the queue again with no run deadline: the
 * next claim gives it a fresh one, so time spent waiting does not count against its run.
 */
import { jobEvent } from '@darkroom/core';
import type { Db } from '../client.js';
import { SupersededError } from './fences.js';

export type Released = { kind: 'released'; queueRank: number } | { kind: 'cancel_requested' };

export async function releaseJob(
  db: Db,
  job: { id: string; attempts: number },
  workerId: string,
  reason: string,
): Promise<Released> {
  return db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<{ attempts: number; cancel_requested_at: Date | null; queue_rank: number }[]>`
      select attempts, cancel_requested_at, queue_rank from jobs where id = ${job.id}::uuid for update`;
    if (!current || current.attempts !== job.attempts) throw new SupersededError(job.id, job.attempts);
    // A job whose cancel arrived meanwhile is ended instead (by the caller, with endJob): nobody wants it resumed.
    if (current.cancel_requested_at) return { kind: 'cancel_requested' };
    await tx.$executeRaw`
      update images set status = 'pending', started_at = null, finished_at = null
      where job_id = ${job.id}::uuid and status in ('running', 'canceled')`;
    const released = jobEvent('released', { workerId, reason });
    await tx.$executeRaw`
      with released as (
        update jobs set status = 'queued', stage = null, deadline = null, updated_at = now() where id = ${job.id}::uuid returning id)
      insert into job_events (job_id, type, data)
      select id, ${released.type}, ${JSON.stringify(released.data)}::jsonb from released`;
    return { kind: 'released', queueRank: current.queue_rank };
  });
}
