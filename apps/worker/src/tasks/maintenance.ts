/**
 * Periodic queue upkeep, run by graphile-worker's cron on whichever worker gets there first:
 * promoting low-priority jobs that waited too long, failing queued jobs whose start deadline passed,
 * ending abandoned jobs (packages/db's lifecycle/sweep.ts says which), and collecting a page of
 * orphaned image files (orphans.ts).
 */
import { lifecycle, type Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { Task } from 'graphile-worker';
import type { Logger } from 'pino';
import { countFinished } from '../pipeline.js';
import { collectOrphans } from './orphans.js';

export const { promoteAgedJobs, failExpiredStarts, endAbandonedJobs } = lifecycle;

/** How long past its run deadline, or without a runnable queue entry, a job waits before the sweep ends it. */
export const ABANDONED_GRACE_SECONDS = 30;

export function makeMaintenanceTask(options: {
  db: Db;
  log: Logger;
  promoteAfterSeconds: number;
  abandonedGraceSeconds?: number;
  /** Orphaned files: where they are, how old a file must be, and how many files a run looks at (0: off). */
  orphans?: { storage: ImageStorage; graceSeconds: number; pageSize: number };
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
    const { orphans } = options;
    if (orphans && orphans.pageSize > 0) {
      // Last, and on its own: a store that fails to list must not stop the queue's upkeep above.
      await collectOrphans({
        db: options.db,
        storage: orphans.storage,
        graceMs: orphans.graceSeconds * 1000,
        pageSize: orphans.pageSize,
        log: options.log,
      }).catch((error: unknown) =>
        options.log.warn({ err: error }, 'orphaned files: this page failed; next run retries'),
      );
    }
  };
}
