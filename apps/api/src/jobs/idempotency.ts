/** An idempotency key names one request: the same request again answers the job it made. */
import { DomainError, type JobView } from '@darkroom/core';
import type { Db, Tx } from '@darkroom/db';
import { findJobView } from './read.js';

export async function findByIdempotencyKey(
  db: Db | Tx,
  userId: string,
  key: string,
  requestHash: string,
): Promise<JobView | null> {
  const earlierId = await jobIdForIdempotencyKey(db, userId, key, requestHash);
  return earlierId ? findJobView(db, { userId, id: earlierId }) : null;
}

/** The job an idempotency key already made, or null; CONFLICT when that job was a different request. */
export async function jobIdForIdempotencyKey(
  db: Db | Tx,
  userId: string,
  key: string,
  requestHash: string,
): Promise<string | null> {
  const earlier = await db.job.findUnique({
    where: { userId_idempotencyKey: { userId, idempotencyKey: key } },
    select: { id: true, requestHash: true },
  });
  if (!earlier) return null;
  if (earlier.requestHash !== requestHash) {
    throw new DomainError('CONFLICT', `idempotencyKey "${key}" was already used with a different request`, {
      jobId: earlier.id,
    });
  }
  return earlier.id;
}
