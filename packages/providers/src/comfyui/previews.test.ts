import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnginePreview, EngineProgress, GenerateRequest } from '../provider.js';
import { comfyPreviewFrame } from '../testing/comfyui-previews.js';
import { startFakeComfyUI, type FakeComfyUI } from '../testing/comfyui.js';
import { previewOf } from '../engines/preview.js';
import { parsePreviewFrame } from './previews.js';
import { createComfyUIProvider } from './provider.js';

const request: GenerateRequest = { prompt: 'a heron at dawn', preset: 'photo', width: 64, height: 64, seed: 3 };
let current: FakeComfyUI;
let old: FakeComfyUI;
beforeAll(async () => {
  current = await startFakeComfyUI();
  // A server before feature negotiation: it ignores our first message and sends plain PNG previews.
  old = await startFakeComfyUI({ featureFlags: false, previewFormat: 'png' });
});
afterAll(async () => {
  await current.close();
  await old.close();
});

async function generateWithPreviews(fake: FakeComfyUI) {
  const previews: EnginePreview[] = [];
  const progress: EngineProgress[] = [];
  const provider = createComfyUIProvider({ urls: [fake.url], pollIntervalMs: 10, steps: 5 });
  const image = await provider.generate({
    ...request,
    onPreview: (preview) => previews.push(preview),
    onProgress: (step) => progress.push(step),
  });
  return { image, previews, progress };
}

describe('comfyui previews', () => {
  it('negotiates preview metadata and hands on each step preview with its step', async () => {
    const { image, previews, progress } = await generateWithPreviews(current);

    const id = image.providerRequestId!.split(' ')[0]!;
    expect(current.previewsSent.filter((sent) => sent.promptId === id).map((sent) => sent.event)).toEqual([
      4, 4, 4, 4, 4,
    ]);
    expect(progress.map((p) => `${p.value}/${p.max}`)).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    expect(previews.map((p) => [p.mime, p.step, p.steps])).toEqual(
      [1, 2, 3, 4, 5].map((step) => ['image/jpeg', step, 5]),
    );
    const decoded = await Promise.all(previews.map((p) => sharp(p.bytes).metadata()));
    expect(decoded.map((meta) => [meta.format, meta.width])).toEqual(decoded.map(() => ['jpeg', 64]));
    expect(new Set(previews.map((p) => p.bytes.toString('base64'))).size).toBe(5);
  });

  it('reads plain PNG preview frames from a server that does not negotiate', async () => {
    const { image, previews } = await generateWithPreviews(old);

    const id = image.providerRequestId!.split(' ')[0]!;
    expect(old.previewsSent.filter((sent) => sent.promptId === id).map((sent) => sent.event)).toEqual([1, 1, 1, 1, 1]);
    expect(previews.map((p) => [p.mime, p.step])).toEqual([1, 2, 3, 4, 5].map((step) => ['image/png', step]));
    expect((await sharp(previews[0]!.bytes).metadata()).format).toBe('png');
  });

  it('drops frames that are not previews, are cut short, or carry no image', async () => {
    const frame = await comfyPreviewFrame({
      step: 1,
      steps: 2,
      format: 'jpeg',
      withMetadata: true,
      promptId: 'p-1',
      node: '3',
    });
    expect(parsePreviewFrame(frame)?.promptId).toBe('p-1');
    const text = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 1]), Buffer.from('3hello')]);
    const lying = Buffer.concat([Buffer.from([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]), Buffer.from('{}')]);
    const badJson = Buffer.concat([Buffer.from([0, 0, 0, 4, 0, 0, 0, 2]), Buffer.from('{x')]);
    for (const bad of [Buffer.alloc(0), Buffer.from([0, 0, 0, 1]), text, lying, badJson])
      expect(parsePreviewFrame(bad)).toBeUndefined();
    // A type-1 frame whose bytes are no image parses, but gives no preview.
    const notImage = parsePreviewFrame(Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]), Buffer.alloc(64, 7)]));
    expect(notImage && previewOf(notImage.image)).toBeUndefined();
  });
});
