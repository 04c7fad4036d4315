/**
 * ComfyUI previews and step progress end to end: a real worker runs the `comfyui` adapter against a fake
 * ComfyUI whose sampler sends a `progress` event and a binary preview frame per step; the job's view
 * shows the image's step progress and latest preview (served as a small webp by the preview route)
 * while it runs, and drops the preview once the image is stored.
 */
import sharp from 'sharp';
import type { JobView } from '@darkroom/core';
import { startFakeComfyUI, type FakeComfyUI } from '@darkroom/providers/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let comfyui: FakeComfyUI;
beforeAll(async () => {
  comfyui = await startFakeComfyUI({ stepMs: 100 });
  h = await makeHarness({ settings: { enabledProviders: ['local', 'comfyui'] } });
  await h.startWorker({
    PROVIDERS_ENABLED: 'local,comfyui',
    COMFYUI_URLS: comfyui.url,
    COMFYUI_STEPS: '12',
    PROVIDER_POLL_INTERVAL_MS: '10',
    PREVIEW_INTERVAL_MS: '150',
  });
});
afterAll(async () => {
  await h?.close();
  await comfyui?.close();
});

describe('comfyui previews through the worker', () => {
  it('shows the step progress and developing preview of a ComfyUI image, then drops the preview', async () => {
    const job = await h.caller.jobs.create({ prompt: 'a fox in the snow', provider: 'comfyui' });
    const views: JobView[] = [];
    const served: { url: string; format: string | undefined; side: number }[] = [];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const view = await h.caller.jobs.get({ id: job.id });
      views.push(view);
      const url = view.images[0]?.preview?.url;
      if (url && !served.some((seen) => seen.url === url)) {
        const response = await h.inject({ method: 'GET', url });
        if (response.statusCode === 200) {
          expect(response.headers['content-type']).toBe('image/webp');
          const meta = await sharp(response.rawPayload).metadata();
          served.push({ url, format: meta.format, side: Math.max(meta.width!, meta.height!) });
        }
      }
      if (['succeeded', 'failed', 'canceled'].includes(view.status)) break;
      if (Date.now() > deadline) throw new Error(`job did not end: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }

    expect(views.at(-1)!.status).toBe('succeeded');
    // Twelve steps of 100 ms, a write at most every 150 ms: several distinct previews reach the route.
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(served.every((preview) => preview.format === 'webp' && preview.side <= 256)).toBe(true);
    const steps = views.flatMap((view) => view.images.map((image) => image.preview?.step ?? null));
    const seen = steps.filter((step): step is number => step !== null);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(views.every((view) => view.images.every((image) => !image.preview || image.preview.steps === 12))).toBe(
      true,
    );
    expect(new Set(seen).size).toBeGreaterThanOrEqual(2);
    // The image's progress (from ComfyUI's progress value/max) rises through the run, never down.
    const progress = views.map((view) => view.images[0]!.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.filter((value) => value > 0 && value < 100).length).toBeGreaterThanOrEqual(2);
    const done = views.at(-1)!;
    expect(done.images[0]!.preview).toBeNull();
    expect(await h.db.imagePreview.count({ where: { image: { jobId: job.id } } })).toBe(0);
    expect(comfyui.previewsSent.filter((sent) => sent.event === 4)).toHaveLength(12);
  });
});
