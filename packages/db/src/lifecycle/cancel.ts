/**
 * `cancel`: a queued job ends canceled at once (through `endJob`: credits back, webhook, queue entry
 * removed); a running one gets `cancel_requested_at` and its worker ends it (it hears the change at
 * once through the job-changes notification, and aborts its vendor calls).
 */
import { jobEvent } from '@darkroom/core';
import type { Db } from '../client.js';
import { endJob, type Ended } from './end.js';

export type CancelOutcome = { kind: 'ended'; ended: Ended } | { kind: 'requested' } | { kind: 'over' };

export async function cancelJob(db: Db, jobId: string): Promise<CancelOutcome> {
  const ended = await endJob(db, jobId, { kind: 'cancel', reason: 'canceled while queued' }, { from: ['queued'] });
  if (ended) return { kind: 'ended', ended };
  // It started meanwhile (or was running already): ask its worker to stop.
  const asked = jobEvent('cancel_requested', null);
  const requested = await db.$executeRaw`
    with asked as (
      update jobs set cancel_requested_at = now(), updated_at = now()
      where id = ${jobId}::uuid and status = 'running' and cancel_requested_at is null returning id)
    insert into job_events (job_id, type, data) select id, ${asked.type}, ${asked.data}::jsonb from asked`;
  return requested > 0 ? { kind: 'requested' } : { kind: 'over' };
}
