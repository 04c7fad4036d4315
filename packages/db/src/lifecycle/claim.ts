/**
 * `claim`: a worker takes a queued job (or resumes one whose worker died), in one statement,
 * darkroom_claim_job (migrations claim_job and housekeeping_priority): the decision with the row
 * locked, the start with its events and a `job.started` webhook.
 */
import { randomSeed } from '@darkroom/core';
import type { Db } from '../client.js';
import { WEBHOOK_DELIVERY_MAX_ATTEMPTS } from '../webhooks.js';

export type ClaimDecision =
  /** Claimed: run it (the claimed row is read after). */
  | { outcome: 'run' }
  /** Already over, or gone. */
  | { outcome: 'over' }
  /** A cancel was requested before it started: end it. */
  | { outcome: 'finish' }
  /** Its start deadline passed: fail it. */
  | { outcome: 'fail'; startBy: Date }
  /** Its owner is at the running cap: try again a moment later. */
  | { outcome: 'deferred'; queueRank: number };

export async function claimJob(db: Db, jobId: string, workerId: string, runningCap: number): Promise<ClaimDecision> {
  const [claim] = await db.$queryRaw<
    { outcome: ClaimDecision['outcome']; queue_rank: number | null; start_by: Date | null }[]
  >`
    select outcome, queue_rank, start_by from darkroom_claim_job(
      ${jobId}::uuid, ${workerId}, ${runningCap}::int, ${randomSeed()}::int, ${WEBHOOK_DELIVERY_MAX_ATTEMPTS}::int)`;
  switch (claim!.outcome) {
    case 'fail':
      return { outcome: 'fail', startBy: claim!.start_by! };
    case 'deferred':
      return { outcome: 'deferred', queueRank: claim!.queue_rank! };
    default:
      return { outcome: claim!.outcome };
  }
}
