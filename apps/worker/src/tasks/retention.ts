/**
 * Retention: jobs that ended more than N days ago go, with their events, image rows and image files
 * (images and their thumbnails).
 * Off unless RETENTION_DAYS is set. Queued and running jobs are never touched, however old. The credit
 * ledger keeps its entries (their job link becomes null), so balances never change.
 */
import { lifecycle, type Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { Task } from 'graphile-worker';
import type { Logger } from 'pino';

/** Jobs removed per round; a round is one short transaction. */
const ROUND = 200;

export interface RetentionOptions {
  db: Db;
  storage: ImageStorage;
  /** Jobs that ended longer ago than this many days are deleted. */
  days: number;
}

/**
 * Deletes what is past retention; returns how many jobs and files (images and thumbnails) went, and
 * how many file deletes failed. The rows go first, under lock (lifecycle's expire.ts): a job retried
 * at that moment keeps its files. A failed file delete is logged and left to the orphan collector.
 */
export async function deleteExpired({
  db,
  storage,
  days,
  log,
}: RetentionOptions & { log?: Logger }): Promise<{ jobs: number; files: number; failed: number }> {
  const cutoff = new Date(Date.now() - days * 86_400_000);
  let jobs = 0;
  let files = 0;
  let failed = 0;
  for (;;) {
    const expired = await lifecycle.expireJobs(db, { cutoff, limit: ROUND });
    if (expired.jobs === 0) return { jobs, files, failed };
    jobs += expired.jobs;
    for (const key of expired.keys) {
      try {
        await storage.delete(key);
        files++;
      } catch (error) {
        // The rows are gone already; the file is now one of a job that does not exist, which the
        // orphaned-file walk (orphans.ts) deletes on its next pass.
        failed++;
        log?.warn({ err: error, key }, 'retention: could not delete a file; the orphan collector will');
      }
    }
  }
}

export function makeRetentionTask(options: RetentionOptions & { log: Logger }): Task {
  return async () => {
    const removed = await deleteExpired(options);
    if (removed.jobs > 0)
      options.log.info({ ...removed, days: options.days }, 'retention: deleted jobs past their time');
  };
}
