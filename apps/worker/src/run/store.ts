/**
 * Storing an image the vendor made (and we paid for): its file, thumbnail and row. A failure here
 * (storage or database down for a moment) is tried again per STORE_RETRY; the vendor is never called
 * again for bytes we already hold.
 */
import { decideRetry, jobEvent, STORE_RETRY, type OutputFormat } from '@darkroom/core';
import { JobEndedError, SupersededError, type Image, type Job, execHot, type HotStatement } from '@darkroom/db';
import { paletteOf, type GeneratedImage } from '@darkroom/providers';
import { formatInfo, imageKey, makeThumbnail, thumbnailKey } from '@darkroom/storage';
import type { PipelineDeps } from './deps.js';
import { sleep } from './failure.js';

export interface StoreInput {
  job: Job;
  image: Image;
  result: GeneratedImage;
  /** The image encoded in the job's output format. */
  bytes: Buffer;
  outputFormat: OutputFormat;
  /** When the vendor call started and how long it took: the image's started_at and duration_ms. */
  callStartedAt: Date;
  callMs: number;
}

const NEVER = new AbortController().signal;

export async function storeImage(deps: PipelineDeps, input: StoreInput): Promise<void> {
  const policy = deps.storeRetry ?? STORE_RETRY;
  // Kept so this image can steer later jobs (the references stage reads it). Pure: computed once.
  const palette = await paletteOf(input.bytes).catch(() => null);
  for (let attempt = 1; ; attempt++) {
    try {
      return await storeOnce(deps, input, palette);
    } catch (error) {
      if (error instanceof SupersededError || error instanceof JobEndedError) throw error;
      const retry = decideRetry(policy, { attempts: attempt, retryable: true });
      if (!retry.retry) throw error;
      deps.log.warn(
        { jobId: input.job.id, index: input.image.index, attempt, err: error },
        'could not store the image; trying again',
      );
      await deps.db.jobEvent
        .create({
          data: {
            jobId: input.job.id,
            ...jobEvent('store_retry', { index: input.image.index, attempt, delayMs: retry.delayMs }),
          },
        })
        .catch(() => undefined);
      // Not cut short by a cancel: a canceled job keeps the images already paid for. A shutdown stops it.
      if (!(await sleep(retry.delayMs, deps.shutdownSignal ?? NEVER))) throw error;
    }
  }
}

async function storeOnce(
  deps: PipelineDeps,
  { job, image, result, bytes, outputFormat, callStartedAt, callMs }: StoreInput,
  palette: unknown,
) {
  const { db, storage } = deps;
  const format = formatInfo(outputFormat);
  // Keyed by this run (the job's claim count, which the fence checks): no other run ever writes
  // these keys, so deleting them below when fenced out cannot touch another run's image.
  const key = imageKey(job.id, image.index, format.extension, job.attempts);
  await storage.put(key, bytes, format.mime);
  const thumbnail = await storeThumbnail(deps, job.id, image.index, job.attempts, bytes);
  const finishedAt = new Date();
  // The stored image, its event and the job's progress in one statement. The fence locks the job row
  // (so an end in progress is waited for, then seen) and requires it still running under this run's
  // claim: no image lands on a job already ended and settled. The statement's snapshot does not see its
  // own image update, so this image is counted as done explicitly; the job's progress is the mean of its
  // images' (a done one counts 100, a running one its step progress) and only goes up. The image's
  // preview, if it had one, goes with it.
  const succeeded = jobEvent('image_succeeded', { index: image.index });
  const recorded = await execHot(db, IMAGE_STORED, [
    job.id,
    job.attempts,
    image.id,
    key,
    thumbnail,
    format.mime,
    result.width,
    result.height,
    bytes.length,
    result.providerRequestId,
    result.model ?? null,
    palette ? JSON.stringify(palette) : null,
    callStartedAt,
    finishedAt,
    callMs,
    succeeded.type,
    JSON.stringify(succeeded.data),
    job.numImages,
  ]);
  if (recorded > 0) return;
  // Fenced out: these files are nobody's (a new owner writes under its own run's keys).
  await Promise.allSettled([storage.delete(key), ...(thumbnail ? [storage.delete(thumbnail)] : [])]);
  const now = await db.job.findUnique({ where: { id: job.id }, select: { attempts: true, status: true } });
  if (now && now.attempts !== job.attempts) throw new SupersededError(job.id, job.attempts);
  throw new JobEndedError(job.id, now?.status ?? 'deleted');
}

/**
 * Stores the image's webp thumbnail and answers its key. A thumbnail is a convenience: failing to make
 * one is logged and leaves the key null, never failing an image that was paid for and stored.
 */
async function storeThumbnail(
  deps: PipelineDeps,
  jobId: string,
  index: number,
  run: number,
  bytes: Buffer,
): Promise<string | null> {
  try {
    const key = thumbnailKey(jobId, index, run);
    await deps.storage.put(key, (await makeThumbnail(bytes)).body, 'image/webp');
    return key;
  } catch (error) {
    deps.log.warn({ err: error, jobId, index }, 'could not store the thumbnail');
    return null;
  }
}

/** The stored image, its event, its preview dropped and the job's progress: one statement (above). */
const IMAGE_STORED: HotStatement = {
  name: 'darkroom_image_stored',
  text: `with fence as (
      select id from jobs where id = $1::uuid and attempts = $2::int and status = 'running' for no key update),
    stored as (
      update images set status = 'succeeded', storage_key = $4::text, thumbnail_key = $5::text, mime = $6::text,
        width = $7::int, height = $8::int, bytes = $9::int,
        provider_request_id = $10::text, model = $11::text, palette = coalesce($12::jsonb, palette),
        started_at = $13::timestamptz, finished_at = $14::timestamptz, duration_ms = $15::int, error_code = null, error_message = null,
        progress = 100, updated_at = now()
      where id = $3::uuid and exists (select 1 from fence)
      returning job_id),
    event as (insert into job_events (job_id, type, data) select job_id, $16::text, $17::jsonb from stored),
    preview as (delete from image_previews where image_id = $3::uuid and exists (select 1 from stored))
    update jobs set progress = greatest(progress, least(99, (100 + (
        select coalesce(sum(case when status in ('succeeded', 'failed') then 100 else progress end), 0)
        from images where job_id = $1::uuid and id <> $3::uuid
      )) / $18::int)), updated_at = now()
    where id in (select job_id from stored)`,
};
