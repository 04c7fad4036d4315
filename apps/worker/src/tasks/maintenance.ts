/**
 * Periodic queue upkeep, run by graphile-worker's cron on whichever worker gets there first:
 * promoting low-priority jobs that waited too long, failing queued jobs whose start deadline passed, and
 * ending abandoned jobs (packages/db's lifecycle/sweep.ts says which).
 */
import { lifecycle, type Db } from '@darkroom/db';
import type { Task } from 'graphile-worker';
import type { Logger } from 'pino';
import { countFinished } from '../pipeline.js';

export const { promoteAgedJobs, failExpiredStarts, endAbandonedJobs } = lifecycle;

/** How long past its run deadline, or without a runnable queue entry, a job waits before the sweep ends it. */
export const ABANDONED_GRACE_SECONDS = 30;

export function makeMaintenanceTask(options: {
  db: Db;
  log: Logger;
  promoteAfterSeconds: number;
  abandonedGraceSeconds?: number;
}): Task {
  return async () => {
    const promoted = await promoteAgedJobs(options.db, options.promoteAfterSeconds);
    const expired = await failExpiredStarts(options.db);
    const abandoned = await endAbandonedJobs(options.db, {
      graceSeconds: options.abandonedGraceSeconds ?? ABANDONED_GRACE_SECONDS,
    });
    for (const job of abandoned) {
      countFinished(job.status, job.startedAt);
      options.log.warn({ jobId: job.id, previous: job.previous }, 'ended an abandoned job');
    }
    if (promoted.length || expired.length)
      options.log.info({ promoted: promoted.length, expired: expired.length }, 'queue maintenance');
  };
}
