/**
 * What a quote reads: the place a job would get (darkroom_queue_place, the rank darkroom_accept_job gives)
 * and the recent run time per image of a provider.
 */
import { BAND_WIDTH, PRIORITY_BANDS, type Priority, type ProviderName } from '@darkroom/core';
import type { Db, Tx } from './client.js';

/** Queued jobs that would be ahead of a job of `userId` at `priority` accepted now. */
export async function queuePlaceFor(db: Db | Tx, userId: string, priority: Priority): Promise<number> {
  const [place] = await db.$queryRaw<{ ahead: number }[]>`
    select ahead from darkroom_queue_place(${userId}::uuid, ${PRIORITY_BANDS[priority]}::int, ${BAND_WIDTH}::int)`;
  return place!.ahead;
}

const RUN_WINDOW_JOBS = 50;

/**
 * Seconds a job of `provider` with `numImages` images recently took to run (started -> finished), from
 * the provider's last 50 succeeded jobs within an hour, scaled by images: the mean run per image times
 * `numImages`. Null without such jobs.
 */
export async function recentRunSeconds(db: Db | Tx, provider: ProviderName, numImages: number): Promise<number | null> {
  const [row] = await db.$queryRaw<{ per_image: number | null }[]>`
    select avg(extract(epoch from finished_at - started_at) / num_images)::float8 as per_image
    from (select finished_at, started_at, num_images from jobs
          where provider = ${provider} and status = 'succeeded' and finished_at > now() - interval '1 hour'
          order by finished_at desc limit ${RUN_WINDOW_JOBS}) recent`;
  const perImage = row?.per_image;
  return perImage === null || perImage === undefined ? null : Math.round(perImage * numImages * 10) / 10;
}
