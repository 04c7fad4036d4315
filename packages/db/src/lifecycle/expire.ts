/**
 * `expire`: retention deletes jobs that ended long enough ago, with their events, image and input rows.
 * Their files go too, except one that another job still takes as an input or an asset still names.
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
      select id, user_id from jobs
      where status in ('succeeded', 'failed', 'canceled') and finished_at < ${cutoff}
      order by finished_at limit ${limit}::int for update skip locked),
    candidates as (
      select d.id as job_id, d.user_id, k.key from doomed d
      join images i on i.job_id = d.id
      cross join lateral (values (i.storage_key), (i.thumbnail_key)) as k(key)
      union all
      select d.id, d.user_id, k.key from doomed d
      join job_inputs ji on ji.job_id = d.id
      cross join lateral (values (ji.storage_key), (ji.thumbnail_key)) as k(key)),
    files as (
      -- A file another job still takes as an input (a result varied, an asset's copied key), or that an
      -- asset still names, stays: it goes with the last of them.
      select d.id as job_id, coalesce(array_agg(distinct c.key) filter (where c.key is not null
          and not exists (select 1 from job_inputs o
            where (o.storage_key = c.key or o.thumbnail_key = c.key) and o.job_id not in (select id from doomed))
          and not exists (select 1 from "references" r
            where r.user_id = c.user_id and (r.storage_key = c.key or r.thumbnail_key = c.key))), '{}') as keys
      from doomed d left join candidates c on c.job_id = d.id
      group by d.id),
    deleted as (delete from jobs where id in (select id from doomed) returning id)
    select f.job_id, f.keys from files f join deleted on deleted.id = f.job_id`;
  return { jobs: rows.length, keys: rows.flatMap((row) => row.keys) };
}
