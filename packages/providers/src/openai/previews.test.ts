import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnginePreview, GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { inputPhoto } from '../testing/input-images.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/openai.js';
import { createOpenAIProvider, type OpenAIProviderOptions } from './provider.js';

const KEY = 'sk-test-stream-0123456789';
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: KEY, baseUrl: fake.baseUrl, ...extra });
const request: GenerateRequest = { prompt: 'a paper boat', preset: 'photo', width: 1024, height: 1024, seed: 2 };

const lastJsonBody = () => JSON.parse(fake.requests.at(-1)!.body.toString('utf8')) as Record<string, unknown>;

async function withPreviews(make: (previews: EnginePreview[]) => Promise<unknown>) {
  const previews: EnginePreview[] = [];
  await make(previews);
  return { previews };
}

describe('openai streamed partial images', () => {
  it('streams a gpt-image generation when the caller takes previews, handing on each partial as it arrives', async () => {
    const previews: EnginePreview[] = [];
    const arrivals: number[] = [];
    const image = await provider().generate({
      ...request,
      onPreview: (preview) => {
        previews.push(preview);
        arrivals.push(Date.now());
      },
    });
    const ended = Date.now();

    expect(lastJsonBody()).toMatchObject({ model: 'gpt-image-1', stream: true, partial_images: 2 });
    expect(previews.map((p) => [p.mime, p.step, p.steps])).toEqual([
      ['image/png', 1, 3],
      ['image/png', 2, 3],
    ]);
    expect(previews[0]!.bytes.equals(previews[1]!.bytes)).toBe(false);
    expect((await sharp(previews[0]!.bytes).metadata()).format).toBe('png');
    // The fake writes its events 20 ms apart: the first partial came while the body still streamed.
    expect(ended - arrivals[0]!).toBeGreaterThanOrEqual(15);
    expect([image.mime, image.width, image.height]).toEqual(['image/png', 64, 64]);
    expect(image.providerRequestId).toMatch(/^req_/);
  });

  it('keeps the plain answer without previews, for dall-e models, and with partialImages 0', async () => {
    await provider().generate(request);
    expect(lastJsonBody().stream).toBeUndefined();

    const { previews } = await withPreviews(async (previews) =>
      provider({ model: 'dall-e-3' }).generate({ ...request, onPreview: (p) => previews.push(p) }),
    );
    expect([lastJsonBody().stream, previews.length]).toEqual([undefined, 0]);

    const off = await withPreviews(async (previews) =>
      provider({ partialImages: 0 }).generate({ ...request, onPreview: (p) => previews.push(p) }),
    );
    expect([lastJsonBody().stream, off.previews.length]).toEqual([undefined, 0]);
  });

  it('streams an edit: stream and partial_images as form fields, image_edit events read', async () => {
    const previews: EnginePreview[] = [];
    const image = await provider({ partialImages: 3 }).generate({
      ...request,
      kind: 'image-to-image',
      inputs: { image: await inputPhoto(64, 64) },
      onPreview: (p) => previews.push(p),
    });

    expect(fake.edits.at(-1)!.fields).toMatchObject({ stream: 'true', partial_images: '3' });
    expect(previews.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(image.mime).toBe('image/png');
  });

  it('fails with the error event that ends a stream, after handing on the partials before it', async () => {
    const previews: EnginePreview[] = [];
    const error = await providerFailure(
      provider().generate({ ...request, prompt: 'this one fails midway', onPreview: (p) => previews.push(p) }),
    );
    expect([error.code, error.message]).toEqual([
      'transient',
      'openai: stream error server_error: The server had an error while processing your request.',
    ]);
    expect(previews).toHaveLength(2);
  });

  it('drops events that are not JSON or not images, and fails a stream that never completes', async () => {
    const junk = [
      'event: image_generation.partial_image\ndata: {not json\n\n',
      `event: image_generation.partial_image\ndata: ${JSON.stringify({ type: 'image_generation.partial_image', b64_json: Buffer.alloc(64, 3).toString('base64'), partial_image_index: 0 })}\n\n`,
      `data: ${JSON.stringify({ type: 'image_generation.partial_image', b64_json: '%%%', partial_image_index: 1 })}\n\n`,
      ': a comment line\n\n',
      'data: [DONE]\n\n',
    ];
    fake.replyOnce('POST', /^\/v1\/images\/generations$/, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      chunks: junk,
    });
    const previews: EnginePreview[] = [];
    const error = await providerFailure(provider().generate({ ...request, onPreview: (p) => previews.push(p) }));
    expect([error.code, error.message]).toEqual(['transient', 'openai: the stream ended without a completed image']);
    expect(previews).toHaveLength(0);
  });

  it('refuses partial_images outside 0..3 in the fake as OpenAI does, and the adapter never asks for more than 3', async () => {
    await provider({ partialImages: 9 }).generate({ ...request, onPreview: () => {} });
    expect(lastJsonBody().partial_images).toBe(3);
    const response = await fetch(`${fake.baseUrl}/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'x', stream: true, partial_images: 4 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe('partial_images');
  });
});
