import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';
import { startFakeStability, type FakeStability } from '../testing/stability.js';
import { createStabilityProvider, type StabilityProviderOptions } from './provider.js';

const KEY = 'sk-stability-edits-0123456789';
let fake: FakeStability;
beforeAll(async () => {
  fake = await startFakeStability({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<StabilityProviderOptions> = {}) =>
  createStabilityProvider({ apiKey: KEY, baseUrl: fake.url, pollIntervalMs: 5, ...extra });

async function picture(format: 'png' | 'jpeg' | 'webp', width = 80, height = 60, background = '#3060a0') {
  const bytes = await sharp({ create: { width, height, channels: 3, background } })
    .toFormat(format)
    .toBuffer();
  return { bytes, mime: format === 'jpeg' ? 'image/jpeg' : `image/${format}`, width, height } as InputImage;
}

/** Darkroom's mask with alpha: white (regenerate) on the left half, black (keep) on the right. */
async function mask(width = 80, height = 60): Promise<InputImage> {
  const white = await sharp({ create: { width: width / 2, height, channels: 4, background: '#ffffffff' } })
    .png()
    .toBuffer();
  const bytes = await sharp({ create: { width, height, channels: 4, background: '#000000ff' } })
    .composite([{ input: white, left: 0, top: 0 }])
    .png()
    .toBuffer();
  return { bytes, mime: 'image/png', width, height };
}

const base: GenerateRequest = {
  prompt: 'a red boat',
  negativePrompt: 'blurry',
  preset: 'photo',
  width: 1024,
  height: 1024,
  seed: 9,
};
const last = () => fake.edits.at(-1)!;

describe('stability edits', () => {
  it('image-to-image: generate/sd3 with mode, image file and strength, no aspect ratio', async () => {
    const image = await picture('jpeg');
    const result = await provider({ model: 'sd3.5-large' }).generate({
      ...base,
      kind: 'image-to-image',
      inputs: { image, strength: 0.35 },
    });
    const call = last();
    expect(call.path).toBe('generate/sd3');
    expect(call.fields).toEqual({
      mode: 'image-to-image',
      strength: '0.35',
      model: 'sd3.5-large',
      prompt: 'a red boat',
      negative_prompt: 'blurry',
      seed: '9',
      output_format: 'png',
    });
    expect(Object.keys(call.files)).toEqual(['image']);
    expect([call.files.image!.type, call.files.image!.filename]).toEqual(['image/jpeg', 'image.jpg']);
    expect(call.files.image!.bytes.equals(image.bytes)).toBe(true);
    expect([result.width, result.height, result.seed]).toEqual([80, 60, 42]);
  });

  it('inpaint: edit/inpaint with image and a greyscale mask where white = inpaint, as Darkroom', async () => {
    await provider().generate({
      ...base,
      kind: 'inpaint',
      inputs: { image: await picture('png'), mask: await mask() },
    });
    const call = last();
    expect(call.path).toBe('edit/inpaint');
    expect(call.names).toEqual(['image', 'mask', 'prompt', 'negative_prompt', 'seed', 'output_format']);
    expect(call.files.mask!.type).toBe('image/png');
    const { data, info } = await sharp(call.files.mask!.bytes).raw().toBuffer({ resolveWithObject: true });
    // No alpha left for Stability to read instead; white where Darkroom regenerates, black where it keeps.
    expect((await sharp(call.files.mask!.bytes).metadata()).hasAlpha).toBe(false);
    expect(data[(30 * info.width + 10) * info.channels]).toBe(255);
    expect(data[(30 * info.width + 70) * info.channels]).toBe(0);
  });

  it('inpaint set to erase: edit/erase with the mask and no prompt', async () => {
    await provider({ inpaintMode: 'erase' }).generate({
      ...base,
      kind: 'inpaint',
      inputs: { image: await picture('webp'), mask: await mask() },
    });
    expect(last().path).toBe('edit/erase');
    expect(last().names).toEqual(['image', 'mask', 'seed', 'output_format']);
    expect(last().files.image!.type).toBe('image/webp');
  });

  it('reference: control/style for a style role, control/sketch and control/structure for those roles', async () => {
    const reference = await picture('png', 40, 40);
    const generate = (role: string) =>
      provider({ styleFidelity: 0.8, controlStrength: 0.6 }).generate({
        ...base,
        width: 1344,
        height: 768,
        kind: 'reference',
        inputs: { references: [{ role, image: reference }] },
      });
    const styled = await generate('style');
    expect([last().path, last().fields.fidelity, last().fields.aspect_ratio]).toEqual(['control/style', '0.8', '16:9']);
    expect(last().fields).not.toHaveProperty('control_strength');
    expect([styled.width, styled.height]).toEqual([1365, 768]);
    await generate('sketch');
    expect([last().path, last().fields.control_strength]).toEqual(['control/sketch', '0.6']);
    await generate('structure');
    expect([last().path, last().fields.prompt]).toEqual(['control/structure', 'a red boat']);
    expect(last().fields).not.toHaveProperty('fidelity');
  });

  it('upscale: upscale/fast with only image and output_format, resampled to exactly 2x', async () => {
    const result = await provider().generate({
      ...base,
      kind: 'upscale',
      inputs: { image: await picture('png', 64, 48), upscale: 2 },
    });
    expect(last().path).toBe('upscale/fast');
    expect(last().names).toEqual(['image', 'output_format']);
    expect([result.width, result.height]).toEqual([128, 96]);
    const metadata = await sharp(result.bytes).metadata();
    expect([metadata.width, metadata.height]).toEqual([128, 96]);
    const four = await provider().generate({
      ...base,
      kind: 'upscale',
      inputs: { image: await picture('png', 64, 48), upscale: 4 },
    });
    expect([four.width, four.height]).toEqual([256, 192]);
  });

  it('upscale set to conservative: sends the prompt and answers exactly factor x the input', async () => {
    const result = await provider({ upscaler: 'conservative' }).generate({
      ...base,
      kind: 'upscale',
      inputs: { image: await picture('jpeg', 64, 48), upscale: 4 },
    });
    expect(last().path).toBe('upscale/conservative');
    expect(last().fields.prompt).toBe('a red boat');
    expect([result.width, result.height]).toEqual([256, 192]);
  });

  it('refuses before any call what the endpoints cannot take', async () => {
    const image = await picture('png');
    const before = fake.requests.length;
    const errors = await Promise.all(
      [
        provider().generate({ ...base, kind: 'inpaint', inputs: { image, mask: await mask(40, 30) } }),
        provider().generate({ ...base, kind: 'inpaint', inputs: { image } }),
        provider().generate({
          ...base,
          kind: 'reference',
          inputs: {
            references: [
              { role: 'style', image },
              { role: 'product', image },
            ],
          },
        }),
        provider().generate({
          ...base,
          kind: 'image-to-image',
          inputs: { image, references: [{ role: 'style', image }] },
        }),
      ].map((call) => call.catch((error: unknown) => error)),
    );
    expect(errors.map((error) => isProviderError(error) && error.code)).toEqual(Array(4).fill('invalid_request'));
    expect(errors.map(String)).toEqual([
      expect.stringMatching(/inputs\.mask.*40x30.*80x60/),
      expect.stringMatching(/inputs\.mask: an inpaint needs a mask/),
      expect.stringMatching(/inputs\.references: control endpoints take exactly 1 reference \(got 2\)/),
      expect.stringMatching(/inputs\.references: image-to-image takes no references/),
    ]);
    expect(fake.requests.length).toBe(before);
  });
});
