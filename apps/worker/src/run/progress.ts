/**
 * An image's step progress and previews while its provider works: what the engine reports is kept in
 * memory and written at most once per interval (the latest only), each write one statement that raises
 * the image's progress, replaces its preview (a small webp) and raises the job's progress, derived from
 * its images. The image's preview_version bump makes the row's trigger tell every API replica, which
 * pushes the job to its subscribers (the live path the job's other changes take).
 */
import sharp from 'sharp';
import type { Db } from '@darkroom/db';
import type { EnginePreview, EngineProgress } from '@darkroom/providers';
import type { Logger } from 'pino';

export interface PreviewSettings {
  /** At most one write per image per this many ms (default 500: two previews a second). */
  intervalMs: number;
  /** Long side of a stored preview, in pixels (default 256). */
  maxSide: number;
}

export const DEFAULT_PREVIEWS: PreviewSettings = { intervalMs: 500, maxSide: 256 };

interface Pending {
  percent?: number;
  preview?: EnginePreview;
  step?: number;
  steps?: number;
}

export interface ImageProgress {
  onProgress(progress: EngineProgress): void;
  onPreview(preview: EnginePreview): void;
  /** Stops writing and waits for a write in flight. Answers whether any preview was written. */
  close(): Promise<boolean>;
}

export function imageProgress({
  db,
  log,
  jobId,
  imageId,
  numImages,
  settings,
}: {
  db: Db;
  log: Logger;
  jobId: string;
  imageId: string;
  numImages: number;
  settings: PreviewSettings;
}): ImageProgress {
  let pending: Pending | null = null;
  let lastWrite = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  let wrotePreview = false;

  const schedule = () => {
    if (closed || timer) return;
    const wait = Math.max(0, lastWrite + settings.intervalMs - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      const next = pending;
      pending = null;
      if (!next || closed) return;
      lastWrite = Date.now();
      // In order, off the provider's path: a failed write costs a preview, never the image.
      writing = writing.then(() =>
        write(next).catch((error: unknown) => log.warn({ err: error, jobId }, 'could not record a preview')),
      );
    }, wait);
    timer.unref?.();
  };

  async function write(next: Pending) {
    const preview = next.preview ? await shrink(next.preview.bytes, settings.maxSide) : null;
    if (closed) return;
    if (preview) wrotePreview = true;
    const percent = next.percent ?? null;
    // One statement: the image (only while it runs: a stored image is never taken back), its preview,
    // and the job's progress as the mean of its images' (a done image counts 100), never lower.
    await db.$executeRaw`
      with image as (
        update images set
          progress = greatest(progress, coalesce(${percent}::int, progress)),
          preview_version = preview_version + ${preview ? 1 : 0}::int,
          preview_step = case when ${preview !== null} then ${next.step ?? null}::int else preview_step end,
          preview_steps = case when ${preview !== null} then ${next.steps ?? null}::int else preview_steps end,
          updated_at = now()
        where id = ${imageId}::uuid and status = 'running'
        returning id, job_id, progress),
      saved as (
        insert into image_previews (image_id, bytes, mime, width, height, updated_at)
        select id, ${preview?.bytes ?? null}::bytea, 'image/webp', ${preview?.width ?? 0}::int, ${preview?.height ?? 0}::int, now()
        from image where ${preview !== null}
        on conflict (image_id) do update set bytes = excluded.bytes, width = excluded.width, height = excluded.height,
          updated_at = excluded.updated_at)
      update jobs set progress = greatest(jobs.progress, least(99, ((
          select coalesce(sum(case when i.status in ('succeeded', 'failed') then 100 else i.progress end), 0)
          from images i where i.job_id = ${jobId}::uuid and i.id <> ${imageId}::uuid
        ) + (select progress from image)) / ${numImages}::int)), updated_at = now()
      where id = ${jobId}::uuid and status = 'running' and exists (select 1 from image)`;
  }

  return {
    onProgress({ value, max }) {
      if (closed || !(max > 0)) return;
      const percent = Math.max(0, Math.min(99, Math.floor((value / max) * 100)));
      pending = { ...pending, percent, step: value, steps: max };
      schedule();
    },
    onPreview(preview) {
      if (closed) return;
      pending = {
        ...pending,
        preview,
        ...(preview.step !== undefined ? { step: preview.step } : {}),
        ...(preview.steps !== undefined ? { steps: preview.steps } : {}),
      };
      if (preview.step !== undefined && preview.steps) {
        pending.percent = Math.max(
          pending.percent ?? 0,
          Math.min(99, Math.floor((preview.step / preview.steps) * 100)),
        );
      }
      schedule();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await writing;
      return wrotePreview;
    },
  };
}

/** A preview as stored: a webp of at most `maxSide` pixels on its long side. */
async function shrink(bytes: Buffer, maxSide: number) {
  const { data, info } = await sharp(bytes)
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 60 })
    .toBuffer({ resolveWithObject: true });
  return { bytes: data, width: info.width, height: info.height };
}
