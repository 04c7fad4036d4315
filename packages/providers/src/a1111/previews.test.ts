import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnginePreview, EngineProgress, GenerateRequest } from '../provider.js';
import { startFakeA1111, type FakeA1111 } from '../testing/a1111.js';
import { until } from '../testing/fake-http.js';
import { createA1111Provider } from './provider.js';

const AUTH = 'darkroom:s3cret-pass';
const request: GenerateRequest = { prompt: 'a windmill', preset: 'photo', width: 64, height: 64, seed: 1 };
let fake: FakeA1111;
let old: FakeA1111;
beforeAll(async () => {
  fake = await startFakeA1111({ auth: AUTH, stepMs: 25, showProgressEveryNSteps: 2 });
  old = await startFakeA1111({ auth: AUTH, stepMs: 25, showProgressEveryNSteps: 2, internalProgress: false });
});
afterAll(async () => {
  await fake.close();
  await old.close();
});

async function generate(server: FakeA1111, steps: number, extra: Partial<GenerateRequest> = {}) {
  const previews: EnginePreview[] = [];
  const progress: EngineProgress[] = [];
  const provider = createA1111Provider({ urls: [server.url], auth: AUTH, pollIntervalMs: 5, steps });
  const image = await provider.generate({
    ...request,
    ...extra,
    onPreview: (preview) => previews.push(preview),
    onProgress: (step) => progress.push(step),
  });
  return { image, previews, progress };
}

const liveAsks = (server: FakeA1111) =>
  server.requests
    .filter((r) => r.path === '/internal/progress')
    .map(
      (r) => JSON.parse(r.body.toString('utf8')) as { id_task: string; id_live_preview: number; live_preview: boolean },
    );

describe('a1111 live previews', () => {
  it('hands on /internal/progress live previews with the sampler step, each one once', async () => {
    const { previews, progress } = await generate(fake, 10);

    expect(progress.length).toBeGreaterThan(1);
    expect(previews.length).toBeGreaterThanOrEqual(2);
    expect(previews.every((p) => p.mime === 'image/png' && p.steps === 10 && p.step! >= 2)).toBe(true);
    // Acknowledged by id_live_preview, so the same preview is never sent (or handed on) twice.
    expect(new Set(previews.map((p) => p.bytes.toString('base64'))).size).toBe(previews.length);
    expect((await sharp(previews[0]!.bytes).metadata()).format).toBe('png');
    const asks = liveAsks(fake);
    expect(asks.every((ask) => ask.live_preview && ask.id_task.startsWith('task(darkroom-'))).toBe(true);
    expect(Math.max(...asks.map((ask) => ask.id_live_preview))).toBeGreaterThanOrEqual(1);
  });

  it('asks for no preview when the caller takes none', async () => {
    const before = liveAsks(fake).length;
    const provider = createA1111Provider({ urls: [fake.url], auth: AUTH, pollIntervalMs: 5, steps: 4 });
    await provider.generate(request);
    const asks = liveAsks(fake).slice(before);
    expect(asks.length).toBeGreaterThan(0);
    expect(asks.every((ask) => ask.live_preview === false)).toBe(true);
  });

  it('never hands on the preview of the job ahead of ours while ours waits for the queue lock', async () => {
    const ahead = generate(fake, 12, { prompt: 'the job ahead' });
    await until(() => fake.running !== null);
    const ours = await generate(fake, 4);
    await ahead;
    expect(ours.previews.length).toBeGreaterThan(0);
    expect(ours.previews.every((p) => p.steps === 4)).toBe(true);
    expect(ours.progress.every((p) => p.max === 4)).toBe(true);
  });

  it('reads current_image from /sdapi/v1/progress on a server without /internal/progress', async () => {
    const { previews } = await generate(old, 10);

    expect(previews.length).toBeGreaterThanOrEqual(2);
    expect(previews.every((p) => p.mime === 'image/png' && p.steps === 10)).toBe(true);
    expect(old.requests.some((r) => r.path === '/sdapi/v1/progress?skip_current_image=false')).toBe(true);
  });

  it('drops a live preview that is not base64 or not an image, and still makes the image', async () => {
    const junk = [
      'data:image/png;base64,!!not-base64!!',
      'data:image/png;base64,' + Buffer.alloc(40, 1).toString('base64'),
    ];
    for (const live_preview of junk)
      fake.replyOnce('POST', /^\/internal\/progress$/, {
        status: 200,
        json: { active: true, queued: false, completed: false, progress: 0.5, live_preview, id_live_preview: 99 },
      });
    const { image, previews } = await generate(fake, 10);

    expect(image.mime).toBe('image/png');
    expect(previews.every((p) => p.mime === 'image/png' && p.bytes.length > 40)).toBe(true);
  });
});
