/**
 * Previews and step progress of running images, end to end: a real worker runs the `local` provider,
 * whose images develop in passes; the job's view shows each image's latest preview while it runs (its
 * bytes served to the owner only, small webp), then drops it when the image is stored.
 */
import sharp from 'sharp';
import type { JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

/** Every distinct view of the job until it ends, read as a poller would (every 50 ms). */
async function viewsUntilDone(id: string): Promise<JobView[]> {
  const views: JobView[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const view = await h.caller.jobs.get({ id });
    if (JSON.stringify(view) !== JSON.stringify(views.at(-1))) views.push(view);
    if (['succeeded', 'failed', 'canceled'].includes(view.status)) return views;
    if (Date.now() > deadline) throw new Error(`job ${id} did not end: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('previews of running images', () => {
  it('shows each pass of a developing image, serves it small to its owner only, and drops it once stored', async () => {
    const worker = await h.startWorker({ LOCAL_PASS_MS: '700', IMAGE_CONCURRENCY: '1', PREVIEW_INTERVAL_MS: '200' });
    try {
      const job = await h.caller.jobs.create({ prompt: 'a lighthouse at dusk', numImages: 2, provider: 'local' });
      const other = await h.makeUser('not-the-owner@darkroom.test');
      const served: { url: string; width: number; height: number; format: string | undefined }[] = [];
      const refusals: number[] = [];
      const views: JobView[] = [];
      const deadline = Date.now() + 30_000;
      for (;;) {
        const view = await h.caller.jobs.get({ id: job.id });
        views.push(view);
        for (const image of view.images) {
          const url = image.preview?.url;
          if (!url || served.some((seen) => seen.url === url)) continue;
          const response = await h.inject({ method: 'GET', url });
          // Stored in between: gone, as it should be.
          if (response.statusCode === 404) continue;
          expect(response.statusCode).toBe(200);
          expect(response.headers['content-type']).toBe('image/webp');
          const meta = await sharp(response.rawPayload).metadata();
          served.push({ url, width: meta.width!, height: meta.height!, format: meta.format });
          refusals.push(
            (await h.inject({ method: 'GET', url, headers: other.headers })).statusCode,
            (await h.inject({ method: 'GET', url, headers: { authorization: '' } })).statusCode,
          );
        }
        if (view.status === 'succeeded') break;
        if (Date.now() > deadline) throw new Error(`job did not end: ${JSON.stringify(view)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      // Two passes before the final image, for each of the two images.
      expect(served.length).toBeGreaterThanOrEqual(4);
      for (const preview of served) {
        expect(preview.format).toBe('webp');
        expect(Math.max(preview.width, preview.height)).toBeLessThanOrEqual(256);
      }
      // Another user gets what a missing preview gets; no credentials, 401.
      expect(new Set(refusals)).toEqual(new Set([404, 401]));
      // Each image's steps were seen going up: pass 1 of 3, then 2 of 3.
      const steps = views.flatMap((view) => view.images.map((image) => image.preview?.step ?? null));
      expect(steps).toContain(1);
      expect(steps).toContain(2);
      // The job's progress is derived from its images' and never goes down.
      const progress = views.map((view) => view.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(new Set(progress.filter((value) => value > 0 && value < 100)).size).toBeGreaterThanOrEqual(3);

      const done = views.at(-1)!;
      expect(done.images.every((image) => image.preview === null && image.progress === 100)).toBe(true);
      expect(await h.db.imagePreview.count({ where: { image: { jobId: job.id } } })).toBe(0);
    } finally {
      await worker.stop();
    }
  });

  it('records none when the worker runs without previews (PREVIEWS=false)', async () => {
    const worker = await h.startWorker({ LOCAL_PASS_MS: '300', PREVIEWS: 'false' });
    try {
      const job = await h.caller.jobs.create({ prompt: 'a quiet harbour', provider: 'local' });
      const views = await viewsUntilDone(job.id);
      expect(views.at(-1)!.status).toBe('succeeded');
      expect(views.every((view) => view.images.every((image) => image.preview === null))).toBe(true);
    } finally {
      await worker.stop();
    }
  });
});
