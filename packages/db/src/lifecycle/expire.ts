/**
 * `expire`: retention deletes jobs that ended long enough ago, with their events and image rows.
 *
 * Rows first, files after: the rows go in one transaction that locks them (`for update skip locked`)
 * and checks again that each is still ended and past the cutoff, so a job retried at the same moment
 * (the retry locks the row too) is either deleted before the retry (which then finds nothing) or not at
 * all; its files are never deleted from under it. The caller deletes the returned files once this has
 * committed; a crash in between leaves unreferenced files, never a job without its images.
 */
import type { Db } from '../client.js';

export async function expireJobs(
  db: Db,
  { cutoff, limit }: { cutoff: Date; limit: number },
): Promise<{ jobs: number; keys: string[] }> {
  const rows = await db.$queryRaw<{ job_id: string; keys: string[] }[]>`
    with doomed as (
      select id from jobs
      where status in ('succeeded', 'failed', 'canceled') and finished_at < ${cutoff}
      order by finished_at limit ${limit}::int for update skip locked),
    files as (
      select d.id as job_id, coalesce(array_agg(k.key) filter (where k.key is not null), '{}') as keys
      from doomed d
      left join images i on i.job_id = d.id
      left join lateral (values (i.storage_key), (i.thumbnail_key)) as k(key) on true
      group by d.id),
    deleted as (delete from jobs where id in (select id from doomed) returning id)
    select f.job_id, f.keys from files f join deleted on deleted.id = f.job_id`;
  return { jobs: rows.length, keys: rows.flatMap((row) => row.keys) };
}
