import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';
import { startFakeFal, type FakeFal } from '../testing/fal.js';
import { createFalProvider, type FalProviderOptions } from './provider.js';

const KEY = 'fal-inputs-key-0123456789';
let fake: FakeFal;
beforeAll(async () => {
  fake = await startFakeFal({ apiKey: KEY, queueAhead: 0 });
});
afterAll(() => fake.close());

const provider = (extra: Partial<FalProviderOptions> = {}) =>
  createFalProvider({
    apiKey: KEY,
    baseUrl: fake.url,
    storageUrl: fake.url,
    model: 'fal-ai/flux/schnell',
    pollIntervalMs: 5,
    ...extra,
  });

async function picture(format: 'png' | 'jpeg' = 'png', width = 64, height = 48): Promise<InputImage> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: '#a03070' } })
    .toFormat(format)
    .toBuffer();
  return { bytes, mime: format === 'png' ? 'image/png' : 'image/jpeg', width, height };
}

async function mask(): Promise<InputImage> {
  const white = await sharp({ create: { width: 32, height: 48, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#000000' } })
    .composite([{ input: white, left: 32, top: 0 }])
    .png()
    .toBuffer();
  return { bytes, mime: 'image/png', width: 64, height: 48 };
}

const base: GenerateRequest = { prompt: 'a pink house', preset: 'photo', width: 1024, height: 768, seed: 8 };
const dataUriOf = (image: InputImage) => `data:${image.mime};base64,${image.bytes.toString('base64')}`;
const last = () => fake.inputs.at(-1)!;

describe('fal image inputs', () => {
  it('image-to-image runs flux/dev/image-to-image: image_url as a data URI and strength, no image_size', async () => {
    const image = await picture('jpeg');
    const result = await provider().generate({ ...base, kind: 'image-to-image', inputs: { image, strength: 0.7 } });
    expect(last()).toEqual({
      model: 'fal-ai/flux/dev/image-to-image',
      input: {
        prompt: 'a pink house',
        seed: 8,
        num_images: 1,
        output_format: 'png',
        enable_safety_checker: true,
        image_url: dataUriOf(image),
        strength: 0.7,
      },
    });
    // Same app (fal-ai/flux) as the configured model: the bare request id.
    expect(result.providerRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('inpaint runs flux-pro/v1/fill with image_url and a grey mask_url, and records its app with the id', async () => {
    // fill has no negative prompt: none is sent (the fake refuses unknown fields).
    const result = await provider().generate({
      ...base,
      negativePrompt: 'blurry',
      kind: 'inpaint',
      inputs: { image: await picture(), mask: await mask() },
    });
    const { model, input } = last();
    expect(model).toBe('fal-ai/flux-pro/v1/fill');
    expect(Object.keys(input).sort()).toEqual([
      'enable_safety_checker',
      'image_url',
      'mask_url',
      'num_images',
      'output_format',
      'prompt',
      'safety_tolerance',
      'seed',
    ]);
    const png = Buffer.from(String(input.mask_url).split(',')[1]!, 'base64');
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([data[(5 * 64 + 10) * info.channels], data[(5 * 64 + 50) * info.channels]]).toEqual([0, 255]);
    expect(result.providerRequestId).toMatch(/^fal-ai\/flux-pro#[0-9a-f-]{36}$/);
    const id = result.providerRequestId!.split('#')[1]!;
    expect(fake.requests.some((request) => request.path === `/fal-ai/flux-pro/requests/${id}/status`)).toBe(true);
  });

  it('cancels a request of another app at that app, from its recorded id alone', async () => {
    const recorded = await provider().submit!({
      ...base,
      prompt: 'stuck in the queue',
      kind: 'inpaint',
      inputs: { image: await picture(), mask: await mask() },
    });
    await provider().cancel!(recorded);
    const id = recorded.split('#')[1]!;
    expect(fake.requests.at(-1)!.path).toBe(`/fal-ai/flux-pro/requests/${id}/cancel`);
    expect(fake.canceled).toContain(id);
  });

  it('references run flux-pro/kontext/multi: image_urls in order, with the aspect ratio', async () => {
    const [a, b] = [await picture('png', 20, 20), await picture('jpeg', 24, 20)];
    await provider().generate({
      ...base,
      kind: 'reference',
      inputs: {
        references: [
          { role: 'person', image: a },
          { role: 'product', image: b },
        ],
      },
    });
    expect(last().model).toBe('fal-ai/flux-pro/kontext/multi');
    expect(last().input.image_urls).toEqual([dataUriOf(a), dataUriOf(b)]);
    expect(last().input.aspect_ratio).toBe('4:3');
    expect(last().input).not.toHaveProperty('image_size');
  });

  it('stores an image over the data-URI size through fal storage and passes its file URL', async () => {
    const image = await picture('png', 200, 150);
    await provider({ dataUriMaxBytes: 100 }).generate({ ...base, kind: 'image-to-image', inputs: { image } });
    const initiate = fake.requests.find((request) => request.path.startsWith('/storage/upload/initiate'))!;
    expect(initiate.path).toBe('/storage/upload/initiate?storage_type=fal-cdn-v3');
    expect(initiate.headers.authorization).toBe(`Key ${KEY}`);
    expect(JSON.parse(initiate.body.toString())).toEqual({ content_type: 'image/png', file_name: 'image.png' });
    const file = fake.stored.at(-1)!;
    expect([file.type, file.bytes?.equals(image.bytes)]).toEqual(['image/png', true]);
    expect(last().input.image_url).toBe(`${fake.url}/files/stored/${file.id}`);
  });

  it('refuses, before any call, an input the chosen model has no field for, naming it', async () => {
    const image = await picture();
    const before = fake.requests.length;
    const errors = await Promise.all(
      [
        provider().generate({ ...base, kind: 'upscale', inputs: { image, upscale: 2 } }),
        provider({ kindModels: { 'image-to-image': 'fal-ai/flux-pro/kontext' } }).generate({
          ...base,
          kind: 'image-to-image',
          inputs: { image, strength: 0.3 },
        }),
        provider().generate({
          ...base,
          kind: 'reference',
          inputs: { references: Array.from({ length: 5 }, () => ({ role: 'style', image })) },
        }),
      ].map((call) => call.catch((error: unknown) => error)),
    );
    expect(errors.map((error) => isProviderError(error) && error.code)).toEqual(Array(3).fill('invalid_request'));
    expect(errors.map(String)).toEqual([
      expect.stringMatching(/fal: inputs\.image: the model has no field.*fal-ai\/flux\/schnell/),
      expect.stringMatching(/inputs\.strength: the model has no field.*kontext/),
      expect.stringMatching(/inputs\.references: 5 given, the model takes at most 4/),
    ]);
    expect(fake.requests.length).toBe(before);
  });
});
