import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/openai.js';
import { createOpenAIProvider, type OpenAIProviderOptions } from './provider.js';

const KEY = 'sk-test-edits-0123456789';
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: KEY, baseUrl: fake.baseUrl, ...extra });

async function picture(format: 'png' | 'jpeg' | 'webp', width = 96, height = 64): Promise<InputImage> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: '#c04020' } })
    .toFormat(format)
    .toBuffer();
  const mime = format === 'jpeg' ? 'image/jpeg' : (`image/${format}` as const);
  return { bytes, mime, width, height };
}

/** Darkroom's convention: white (regenerate) in x 10..40, y 10..30; black (keep) elsewhere. */
async function darkroomMask(width = 96, height = 64): Promise<InputImage> {
  const white = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  const bytes = await sharp({ create: { width, height, channels: 3, background: '#000000' } })
    .composite([{ input: white, left: 10, top: 10 }])
    .png()
    .toBuffer();
  return { bytes, mime: 'image/png', width, height };
}

const base: GenerateRequest = { prompt: 'make the sky stormy', preset: 'photo', width: 1024, height: 1024, seed: 5 };

async function alphaAt(png: Buffer, x: number, y: number) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return data[(y * info.width + x) * info.channels + 3];
}

describe('openai edits', () => {
  it('sends an inpaint as multipart: image[] then a mask in alpha convention, then the fields', async () => {
    const image = await picture('png');
    const result = await provider({ quality: 'high' }).generate({
      ...base,
      kind: 'inpaint',
      inputs: { image, mask: await darkroomMask() },
    });

    const request = fake.requests.at(-1)!;
    expect([request.method, request.path]).toEqual(['POST', '/v1/images/edits']);
    expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const edit = fake.edits.at(-1)!;
    expect(edit.names).toEqual(['image[]', 'mask', 'prompt', 'model', 'n', 'size', 'quality', 'output_format']);
    expect(edit.images).toHaveLength(1);
    expect([edit.images[0]!.type, edit.images[0]!.filename]).toEqual(['image/png', 'image.png']);
    expect(edit.images[0]!.bytes.equals(image.bytes)).toBe(true);
    expect([edit.mask!.type, edit.mask!.filename]).toEqual(['image/png', 'mask.png']);
    const mask = await sharp(edit.mask!.bytes).metadata();
    expect([mask.width, mask.height, mask.hasAlpha]).toEqual([96, 64, true]);
    // White in Darkroom's mask (edit) is fully transparent; black (keep) is opaque.
    expect(await alphaAt(edit.mask!.bytes, 20, 20)).toBe(0);
    expect(await alphaAt(edit.mask!.bytes, 80, 50)).toBe(255);
    expect(edit.fields).toEqual({
      prompt: base.prompt,
      model: 'gpt-image-1',
      n: '1',
      size: '1536x1024',
      quality: 'high',
      output_format: 'png',
    });
    expect([result.mime, result.width, result.height]).toEqual(['image/png', 96, 64]);
  });

  it('sends the edited image first and the references after it, each with its own type, with high input fidelity', async () => {
    const image = await picture('jpeg');
    const style = await picture('webp', 32, 32);
    const product = await picture('png', 40, 20);
    await provider().generate({
      ...base,
      kind: 'image-to-image',
      inputs: {
        image,
        strength: 0.4,
        references: [
          { role: 'style', image: style },
          { role: 'product', image: product },
        ],
      },
    });

    const edit = fake.edits.at(-1)!;
    expect(edit.names.filter((name) => name === 'image[]')).toHaveLength(3);
    expect(edit.images.map((file) => [file.type, file.filename])).toEqual([
      ['image/jpeg', 'image.jpg'],
      ['image/webp', 'reference-1.webp'],
      ['image/png', 'reference-2.png'],
    ]);
    expect(edit.images.map((file) => file.bytes.length)).toEqual([
      image.bytes.length,
      style.bytes.length,
      product.bytes.length,
    ]);
    expect(edit.mask).toBeUndefined();
    expect(edit.fields.input_fidelity).toBe('high');
    // OpenAI edits have no strength and no moderation field.
    expect(Object.keys(edit.fields)).not.toContain('strength');
    expect(Object.keys(edit.fields)).not.toContain('moderation');
  });

  it('sends references alone for a reference job, and no input_fidelity to a -mini model', async () => {
    const person = await picture('png', 64, 96);
    await provider({ model: 'gpt-image-1-mini' }).generate({
      ...base,
      width: 768,
      height: 1024,
      kind: 'reference',
      inputs: { references: [{ role: 'person', image: person }] },
    });
    const edit = fake.edits.at(-1)!;
    expect(edit.images.map((file) => file.filename)).toEqual(['reference-0.png']);
    expect(edit.fields.size).toBe('1024x1536');
    expect(edit.fields.model).toBe('gpt-image-1-mini');
    expect(edit.fields).not.toHaveProperty('input_fidelity');
  });

  it('refuses before any call what the endpoint cannot take', async () => {
    const image = await picture('png');
    const before = fake.requests.length;
    const refusals = await Promise.all(
      [
        provider().generate({ ...base, kind: 'inpaint', inputs: { image, mask: await darkroomMask(50, 50) } }),
        provider().generate({ ...base, kind: 'upscale', inputs: { image, upscale: 2 } }),
        provider({ model: 'dall-e-3' }).generate({ ...base, kind: 'image-to-image', inputs: { image } }),
        provider().generate({
          ...base,
          kind: 'reference',
          inputs: { references: Array.from({ length: 17 }, () => ({ role: 'style', image })) },
        }),
      ].map((call) => call.catch((error: unknown) => error)),
    );
    expect(refusals.map((error) => isProviderError(error) && error.code)).toEqual(Array(4).fill('invalid_request'));
    expect(refusals.map(String)).toEqual([
      expect.stringMatching(/inputs\.mask.*50x50.*96x64/),
      expect.stringMatching(/upscale/),
      expect.stringMatching(/dall-e-3 has no edits/),
      expect.stringMatching(/inputs\.references: 17 images, over the 16/),
    ]);
    expect(fake.requests.length).toBe(before);
  });

  it('the fake refuses a file part without an image content type, as OpenAI does', async () => {
    const form = new FormData();
    form.append('image[]', new Blob([(await picture('png')).bytes]), 'x.png');
    form.append('prompt', 'p');
    const response = await fetch(`${fake.baseUrl}/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: form,
    });
    const body = (await response.json()) as { error: { message: string } };
    expect(response.status).toBe(400);
    expect(body.error.message).toMatch(/unsupported mimetype/);
  });
});
