/**
 * Scheduling a job: `notBefore` (start no earlier than), and `startBy` + `rejectIfLate` (refuse at
 * submit a job the queue cannot start in time). The prediction is the quote's: the same place in the
 * queue (darkroom_queue_place), the same recent start rate, then no earlier than `notBefore`.
 */
import { DomainError, estimateWaitSeconds, MAX_NOT_BEFORE_DAYS, type JobRequest } from '@darkroom/core';
import { queuePlaceFor, recentStartRate, type Db } from '@darkroom/db';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The refusals about time that need no database: `notBefore` in the future and at most 30 days ahead,
 * `rejectIfLate` only with `startBy`, and a `startBy` after `notBefore` (it could never be met).
 */
export function assertSchedule(request: JobRequest, prefix = '', now = Date.now()) {
  if (request.notBefore !== undefined) {
    const at = Date.parse(request.notBefore);
    if (at <= now) {
      throw new DomainError('BAD_INPUT', `${prefix}notBefore must be in the future (got ${request.notBefore})`, {
        field: `${prefix}notBefore`,
        notBefore: request.notBefore,
      });
    }
    if (at > now + MAX_NOT_BEFORE_DAYS * DAY_MS) {
      throw new DomainError(
        'BAD_INPUT',
        `${prefix}notBefore must be at most ${MAX_NOT_BEFORE_DAYS} days ahead (got ${request.notBefore})`,
        { field: `${prefix}notBefore`, notBefore: request.notBefore, maximumDays: MAX_NOT_BEFORE_DAYS },
      );
    }
    if (request.startBy !== undefined && Date.parse(request.startBy) <= at) {
      throw new DomainError('BAD_INPUT', `${prefix}startBy must be later than notBefore`, {
        field: `${prefix}startBy`,
        startBy: request.startBy,
        notBefore: request.notBefore,
      });
    }
  }
  if (request.rejectIfLate && request.startBy === undefined) {
    throw new DomainError('BAD_INPUT', `${prefix}rejectIfLate needs startBy (the time the job must start by)`, {
      field: `${prefix}rejectIfLate`,
    });
  }
}

/** When a request submitted now would start: its place, the wait the queue predicts, the start. */
export interface StartPrediction {
  position: number;
  /** Seconds from now to the predicted start; null when the queue gives nothing to go by. */
  estimatedWaitSeconds: number | null;
  predictedStartAt: string | null;
}

/**
 * The predicted start of a request not yet submitted. An empty queue starts a job at once, whatever the
 * recent rate says; a scheduled job starts no earlier than its `notBefore`, so the wait is the later of
 * the two.
 */
export async function predictStart(
  db: Db,
  userId: string,
  request: Pick<JobRequest, 'priority' | 'notBefore'>,
  now = Date.now(),
): Promise<StartPrediction> {
  const [position, rate] = await Promise.all([queuePlaceFor(db, userId, request.priority), recentStartRate(db)]);
  const queueWait = position === 0 ? (estimateWaitSeconds(position, rate) ?? 0) : estimateWaitSeconds(position, rate);
  return withNotBefore(position, queueWait, request.notBefore, now);
}

/** A queue wait (seconds from `now`) made no earlier than `notBefore`. */
export function withNotBefore(
  position: number,
  queueWait: number | null,
  notBefore: string | Date | null | undefined,
  now = Date.now(),
): StartPrediction {
  const scheduled = notBefore ? Math.max(0, (new Date(notBefore).getTime() - now) / 1000) : 0;
  // As a job's view says (@darkroom/db notBeforeWait): a job waiting for its time starts no earlier.
  const wait = scheduled > 0 ? Math.max(queueWait ?? 0, scheduled) : queueWait;
  const start = wait === null ? null : new Date(now + wait * 1000).toISOString();
  return { position, estimatedWaitSeconds: wait === null ? null : Math.round(wait * 10) / 10, predictedStartAt: start };
}

/**
 * With `rejectIfLate`: refuses (INVALID_STATE, reason `start_by_unmeetable`, the prediction in the
 * details) a request whose predicted start is later than its `startBy`. Runs before anything is written
 * or held. A queue with nothing to go by (no recent starts) predicts nothing, and nothing is refused.
 */
export async function assertStartMeetable(db: Db, userId: string, request: JobRequest, prefix = '') {
  if (!request.rejectIfLate || request.startBy === undefined) return;
  const prediction = await predictStart(db, userId, request);
  if (prediction.predictedStartAt === null) return;
  if (Date.parse(prediction.predictedStartAt) <= Date.parse(request.startBy)) return;
  throw new DomainError(
    'INVALID_STATE',
    `the job would start about ${prediction.predictedStartAt} (${prediction.position} jobs ahead), after ${prefix}startBy ${request.startBy}; refused because rejectIfLate is set`,
    {
      field: `${prefix}startBy`,
      reason: 'start_by_unmeetable',
      startBy: request.startBy,
      ...prediction,
    },
  );
}
