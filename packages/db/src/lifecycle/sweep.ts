/**
 * `sweep`: ends what nobody else will end. Run by the worker's queue upkeep (once a minute, on whichever
 * worker gets there first); every job it ends goes through `endJob`, so its credits are refunded and its
 * webhook sent like any other end.
 *
 * - queued jobs whose start deadline passed (`start_deadline_exceeded`), even while every worker is busy;
 * - abandoned jobs (`abandoned`): running past their run deadline by more than the grace (the run ends
 *   itself at the deadline; one still running then has no live worker), or queued or running with no
 *   queue entry left that could run them (graphile-worker's attempts ran out after repeated worker
 *   deaths, or the entry was lost), for longer than the grace.
 */
import type { Db } from '../client.js';
import { endJob, type Ended } from './end.js';

/** Jobs one sweep ends at most, so one sweep is bounded; the next takes the rest. */
const SWEEP_LIMIT = 500;

export async function failExpiredStarts(db: Db): Promise<string[]> {
  const expired = await db.$queryRaw<{ id: string; start_by: Date }[]>`
    select id, start_by from jobs where status = 'queued' and start_by < now() order by start_by limit ${SWEEP_LIMIT}::int`;
  const ended: string[] = [];
  for (const job of expired) {
    const end = await endJob(
      db,
      job.id,
      {
        kind: 'fail',
        error: {
          code: 'start_deadline_exceeded',
          message: `no worker started the job before ${job.start_by.toISOString()}`,
          retryable: false,
        },
      },
      { from: ['queued'] },
    );
    if (end) ended.push(job.id);
  }
  return ended;
}

export interface AbandonedOptions {
  /** How long past its run deadline, or without a runnable queue entry, a job may be before it is ended. */
  graceSeconds: number;
}

export async function endAbandonedJobs(
  db: Db,
  { graceSeconds }: AbandonedOptions,
): Promise<Array<{ id: string } & Ended>> {
  const abandoned = await db.$queryRaw<{ id: string; why: 'deadline' | 'no_queue_entry'; deadline: Date | null }[]>`
    select j.id, case when j.status = 'running' and j.deadline < now() - make_interval(secs => ${graceSeconds}::float8) then 'deadline' else 'no_queue_entry' end as why, j.deadline
    from jobs j
    where j.status in ('queued', 'running')
      and j.updated_at < now() - make_interval(secs => ${graceSeconds}::float8)
      and (
        (j.status = 'running' and j.deadline < now() - make_interval(secs => ${graceSeconds}::float8))
        or not exists (
          select 1 from graphile_worker.jobs q
          where q.task_identifier = 'generate' and q.key = j.id::text and (q.locked_at is not null or q.attempts < q.max_attempts)))
    order by j.updated_at limit ${SWEEP_LIMIT}::int`;
  const ended: Array<{ id: string } & Ended> = [];
  for (const job of abandoned) {
    const message =
      job.why === 'deadline'
        ? `no worker finished the job; its run deadline ${job.deadline!.toISOString()} passed more than ${graceSeconds} s ago`
        : `no worker can run the job any more (its queue entry ran out of attempts or was lost)`;
    const end = await endJob(db, job.id, { kind: 'fail', error: { code: 'abandoned', message, retryable: true } });
    if (end) ended.push({ id: job.id, ...end });
  }
  return ended;
}
