/**
 * Retention: jobs that ended more than N days ago go, with their events, image rows and image files
 * (images and their thumbnails).
 * Off unless RETENTION_DAYS is set. Queued and running jobs are never touched, however old. The credit
 * ledger keeps its entries (their job link becomes null), so balances never change.
 */
import type { Db } from '@darkroom/db';
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

/** Deletes what is past retention; returns how many jobs and files (images and thumbnails) went. */
export async function deleteExpired({ db, storage, days }: RetentionOptions): Promise<{ jobs: number; files: number }> {
  const cutoff = new Date(Date.now() - days * 86_400_000);
  let jobs = 0;
  let files = 0;
  for (;;) {
    const expired = await db.job.findMany({
      where: { status: { in: ['succeeded', 'failed', 'canceled'] }, finishedAt: { lt: cutoff } },
      select: { id: true, images: { select: { storageKey: true, thumbnailKey: true } } },
      take: ROUND,
    });
    if (expired.length === 0) return { jobs, files };
    // Files first: if we stop half-way, the rows are still there and the next run finishes the job.
    const keys = expired.flatMap((job) => job.images.flatMap((image) => [image.storageKey, image.thumbnailKey]));
    for (const key of keys.filter((key): key is string => key !== null)) {
      await storage.delete(key);
      files++;
    }
    const deleted = await db.job.deleteMany({ where: { id: { in: expired.map((job) => job.id) }, finishedAt: { lt: cutoff } } });
    jobs += deleted.count;
  }
}

export function makeRetentionTask(options: RetentionOptions & { log: Logger }): Task {
  return async () => {
    const removed = await deleteExpired(options);
    if (removed.jobs > 0) options.log.info({ ...removed, days: options.days }, 'retention: deleted jobs past their time');
  };
}
