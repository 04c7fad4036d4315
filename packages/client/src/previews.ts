/**
 * `onPreview` for `wait()` and `generate()`: every view of a job the client sees is compared with the
 * last, and each running image whose preview changed (its URL carries the preview's version, `?v=`) is
 * handed to the caller once, with its step and a way to fetch the bytes (the owner's credentials).
 */
import type { JobView } from '@darkroom/core';

/** A new preview of a running image. */
export interface ImagePreview {
  jobId: string;
  imageId: string;
  /** The image's place in the job, from 0. */
  index: number;
  /** How far the engine is (e.g. pass 2 of 3, step 12 of 30); null when it did not say. */
  step: number | null;
  steps: number | null;
  /** The preview's absolute URL (`GET /images/:id/preview?v=`); it answers the job's owner only. */
  url: string;
  /**
   * The preview's bytes (a webp of at most 256 px), fetched with the client's credentials; null when it was
   * replaced by a newer one or the image was stored before it could be fetched (previews live seconds).
   */
  bytes(): Promise<Uint8Array | null>;
}

/**
 * Called once per new preview. A promise it returns is awaited before `wait()` resolves (a rejection
 * rejects `wait()`), so work such as saving the bytes is finished when the job is.
 */
export type PreviewListener = (preview: ImagePreview) => void | Promise<void>;

export interface PreviewWatcher {
  /** Looks at one view of the job; calls the listener for each preview not seen yet. */
  see(job: JobView): void;
  /** Waits for the listener's pending work; rethrows its first failure. */
  settle(): Promise<void>;
}

export function watchPreviews({
  url,
  fetchImpl,
  headers,
  onPreview,
}: {
  url: string;
  fetchImpl: typeof fetch;
  headers: () => Record<string, string>;
  onPreview: PreviewListener;
}): PreviewWatcher {
  const base = url.replace(/\/$/, '');
  const seen = new Map<string, string>();
  const pending: Promise<void>[] = [];
  return {
    see(job) {
      for (const image of job.images) {
        const preview = image.preview;
        if (!preview || seen.get(image.id) === preview.url) continue;
        seen.set(image.id, preview.url);
        const absolute = /^https?:/.test(preview.url) ? preview.url : `${base}${preview.url}`;
        const result = onPreview({
          jobId: job.id,
          imageId: image.id,
          index: image.index,
          step: preview.step,
          steps: preview.steps,
          url: absolute,
          bytes: () => fetchPreview(fetchImpl, absolute, headers()),
        });
        if (result) {
          const work = Promise.resolve(result);
          // Handled here so a failure does not crash the process before settle() rethrows it.
          work.catch(() => undefined);
          pending.push(work);
        }
      }
    },
    async settle() {
      await Promise.all(pending);
    },
  };
}

async function fetchPreview(fetchImpl: typeof fetch, url: string, headers: Record<string, string>) {
  const response = await fetchImpl(url, { headers });
  if (response.status === 404) {
    await response.body?.cancel();
    return null;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`fetching the preview ${url} failed: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
