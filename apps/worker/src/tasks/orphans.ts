/**
 * Orphaned image files (F22): files under `jobs/` that no image row names and none ever will.
 *
 * - `.tmp` files: a crash inside the filesystem store's `put` (between write and rename);
 * - a file with no row: a crash between `put` and the row's update, a run fenced out before it could
 *   delete its own file, an image's earlier run (`<index>-<run>` whose row names a later one);
 * - a file whose row is gone: retention deleted the job's rows and then failed to delete the file.
 *   Those are not recorded anywhere else: the job's row is gone, so the walk below finds them as files
 *   of a job that does not exist, on its next pass.
 *
 * The upkeep task walks the store a page at a time (one `list` and one statement per page), resuming
 * where the last run stopped (`maintenance_cursors`), and deletes a file only when, in one snapshot,
 * no image row names it AND no run can still name it: its job is gone, not running, or running under a
 * later claim than the run that wrote it (the `<run>` in the key; a store is fenced by the claim, so an
 * older run can never record it). A run in flight is never touched, however old its files; the grace
 * period (files younger than it are left) only adds a margin, and covers `.tmp` files, which carry no
 * run. Keys the collector does not recognise are left alone.
 */
import type { Db } from '@darkroom/db';
import type { ImageStorage } from '@darkroom/storage';
import type { Logger } from 'pino';

/** What the storage keys of run files look like: `jobs/<job>/<index>[-<run>][.thumb].<ext>`. */
const RUN_FILE =
  /^jobs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/\d+(?:-(\d+))?(?:\.thumb)?\.[a-z]+$/;
/** The filesystem store's temporary files: the key, a random suffix, `.tmp`. */
const TEMP_FILE = /^jobs\/[^/]+\/[^/]+\.[0-9a-f]{12}\.tmp$/;
const CURSOR = 'orphans';
const ASSET_CURSOR = 'asset-orphans';
/** Asset files: `assets/<user>/<id>[.thumb].<ext>`. */
const ASSET_FILE = /^assets\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/[^/]+$/;

export interface OrphanOptions {
  db: Db;
  storage: ImageStorage;
  /** Files younger than this (by their last change) are left, in ms. */
  graceMs: number;
  /** Files looked at per run. */
  pageSize: number;
  log?: Logger;
}

export interface OrphanSweep {
  /** Files listed on this page. */
  scanned: number;
  deleted: string[];
  /** Deletes that failed: the files stay, and the next pass finds them again. */
  failed: string[];
  /** Where the next page starts; null when this page reached the end of the store. */
  next: string | null;
}

/** Collects the orphans on one page of the store, from `after` (the start when unset). */
export async function collectOrphanPage(options: OrphanOptions & { after?: string }): Promise<OrphanSweep> {
  const { db, storage, graceMs, pageSize, after } = options;
  const page = await storage.list({ prefix: 'jobs/', limit: pageSize, ...(after ? { after } : {}) });
  const settled = Date.now() - graceMs;
  const old = page.objects.filter((object) => object.modifiedAt.getTime() <= settled);
  const doomed = old.filter((object) => TEMP_FILE.test(object.key)).map((object) => object.key);
  const runFiles = old.flatMap((object) => {
    const match = RUN_FILE.exec(object.key);
    return match ? [{ key: object.key, jobId: match[1]!, run: match[2] === undefined ? null : Number(match[2]) }] : [];
  });
  if (runFiles.length > 0) doomed.push(...(await unclaimable(db, runFiles)));
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const key of doomed) {
    try {
      await storage.delete(key);
      deleted.push(key);
    } catch (error) {
      failed.push(key);
      options.log?.warn({ err: error, key }, 'orphaned file: delete failed; the next pass tries again');
    }
  }
  return { scanned: page.objects.length, deleted, failed, next: page.next };
}

/**
 * The keys among `files` that no image row names and no run can still record, read in one statement
 * (one snapshot): a store commits its row under the job's lock and only while its run's claim holds,
 * so a job seen here gone, not running, or claimed by a later run will never name the file.
 */
async function unclaimable(db: Db, files: { key: string; jobId: string; run: number | null }[]): Promise<string[]> {
  const rows = await db.$queryRaw<{ key: string }[]>`
    select c.key from unnest(${files.map((file) => file.key)}::text[], ${files.map((file) => file.jobId)}::uuid[],
      ${files.map((file) => file.run)}::int[]) as c(key, job_id, run)
    left join jobs j on j.id = c.job_id
    where not exists (
        select 1 from images i where i.job_id = c.job_id and c.key in (i.storage_key, i.thumbnail_key))
      -- A result another job took as an input outlives its own job (retention keeps it for that job).
      and not exists (select 1 from job_inputs ji where ji.storage_key = c.key)
      and not exists (select 1 from job_inputs ji where ji.thumbnail_key = c.key)
      and (j.id is null or j.status <> 'running' or c.run < j.attempts)`;
  return rows.map((row) => row.key);
}

/** One run of the upkeep: the page after the saved cursor, then the cursor moved on (back to the start at the end). */
export async function collectOrphans(options: OrphanOptions): Promise<OrphanSweep> {
  const sweep = await withCursor(options.db, CURSOR, (after) => collectOrphanPage({ ...options, after }));
  // Uploads too: files of assets whose row is gone (a deleted account, an insert that failed after its put).
  const assets = await withCursor(options.db, ASSET_CURSOR, (after) => collectAssetOrphanPage({ ...options, after }));
  sweep.scanned += assets.scanned;
  sweep.deleted.push(...assets.deleted);
  sweep.failed.push(...assets.failed);
  if (sweep.deleted.length || sweep.failed.length)
    options.log?.info(
      { deleted: sweep.deleted.length, failed: sweep.failed.length, scanned: sweep.scanned },
      'collected orphaned files',
    );
  return sweep;
}

async function withCursor(
  db: Db,
  name: string,
  collect: (after: string | undefined) => Promise<OrphanSweep>,
): Promise<OrphanSweep> {
  const saved = await db.maintenanceCursor.findUnique({ where: { name } });
  const sweep = await collect(saved?.position || undefined);
  const position = sweep.next ?? '';
  await db.maintenanceCursor.upsert({ where: { name }, create: { name, position }, update: { position } });
  return sweep;
}

/**
 * Asset files (`assets/`) that no asset row and no job input names, older than the grace period: an
 * upload writes its files before its row, so a younger file may be one whose row is on its way.
 */
export async function collectAssetOrphanPage(options: OrphanOptions & { after?: string }): Promise<OrphanSweep> {
  const { db, storage, graceMs, pageSize, after } = options;
  const page = await storage.list({ prefix: 'assets/', limit: pageSize, ...(after ? { after } : {}) });
  const settled = Date.now() - graceMs;
  const files = page.objects.flatMap((object) => {
    const match = object.modifiedAt.getTime() <= settled ? ASSET_FILE.exec(object.key) : null;
    return match ? [{ key: object.key, userId: match[1]! }] : [];
  });
  const doomed = files.length
    ? (
        await db.$queryRaw<{ key: string }[]>`
          select c.key from unnest(${files.map((f) => f.key)}::text[], ${files.map((f) => f.userId)}::uuid[])
            as c(key, user_id)
          where not exists (select 1 from "references" r
              where r.user_id = c.user_id and c.key in (r.storage_key, r.thumbnail_key))
            and not exists (select 1 from job_inputs ji where ji.storage_key = c.key)
            and not exists (select 1 from job_inputs ji where ji.thumbnail_key = c.key)`
      ).map((row) => row.key)
    : [];
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const key of doomed) {
    try {
      await storage.delete(key);
      deleted.push(key);
    } catch (error) {
      failed.push(key);
      options.log?.warn({ err: error, key }, 'orphaned asset file: delete failed; the next pass tries again');
    }
  }
  return { scanned: page.objects.length, deleted, failed, next: page.next };
}
