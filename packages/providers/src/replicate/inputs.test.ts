import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';
import { startFakeReplicate, type FakeReplicate } from '../testing/replicate.js';
import { createReplicateProvider, type ReplicateProviderOptions } from './provider.js';

const KEY = 'r8_inputs_0123456789abcdefghij';
let fake: FakeReplicate;
beforeAll(async () => {
  fake = await startFakeReplicate({ apiKey: KEY, pollsToFinish: 1 });
});
afterAll(() => fake.close());

const provider = (extra: Partial<ReplicateProviderOptions> = {}) =>
  createReplicateProvider({ apiKey: KEY, baseUrl: fake.url, pollIntervalMs: 5, ...extra });

async function picture(format: 'png' | 'jpeg' = 'png', width = 64, height = 48): Promise<InputImage> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: '#208040' } })
    .toFormat(format)
    .toBuffer();
  return { bytes, mime: format === 'png' ? 'image/png' : 'image/jpeg', width, height };
}

async function mask(): Promise<InputImage> {
  const white = await sharp({ create: { width: 32, height: 48, channels: 4, background: '#ffffffff' } })
    .png()
    .toBuffer();
  const bytes = await sharp({ create: { width: 64, height: 48, channels: 4, background: '#00000000' } })
    .composite([{ input: white, left: 0, top: 0 }])
    .png()
    .toBuffer();
  return { bytes, mime: 'image/png', width: 64, height: 48 };
}

const base: GenerateRequest = { prompt: 'a green field', preset: 'photo', width: 1024, height: 576, seed: 3 };
const dataUriOf = (image: InputImage) => `data:${image.mime};base64,${image.bytes.toString('base64')}`;
const last = () => fake.inputs.at(-1)!;
const decodeDataUri = (uri: unknown) => Buffer.from(String(uri).split(',')[1]!, 'base64');

describe('replicate image inputs', () => {
  it('image-to-image runs flux-dev: image as a data URI, strength as prompt_strength, no aspect ratio', async () => {
    const image = await picture('jpeg');
    const result = await provider().generate({ ...base, kind: 'image-to-image', inputs: { image, strength: 0.4 } });
    expect(last()).toEqual({
      model: 'black-forest-labs/flux-dev',
      input: {
        prompt: 'a green field',
        seed: 3,
        output_format: 'png',
        // The job's moderation, in flux-dev's own field.
        disable_safety_checker: false,
        image: dataUriOf(image),
        prompt_strength: 0.4,
      },
    });
    expect(result.mime).toBe('image/png');
  });

  it('inpaint runs flux-fill-pro: image and a greyscale mask, white = inpaint', async () => {
    // flux-fill-pro has no negative prompt: none is sent (the fake refuses unknown fields).
    await provider().generate({
      ...base,
      negativePrompt: 'blurry',
      kind: 'inpaint',
      inputs: { image: await picture(), mask: await mask() },
    });
    const { model, input } = last();
    expect(model).toBe('black-forest-labs/flux-fill-pro');
    expect(Object.keys(input).sort()).toEqual(['image', 'mask', 'output_format', 'prompt', 'safety_tolerance', 'seed']);
    expect(String(input.mask)).toMatch(/^data:image\/png;base64,/);
    const png = decodeDataUri(input.mask);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect((await sharp(png).metadata()).channels).toBe(1);
    // The transparent black right half is black (keep), the white left half white (inpaint).
    expect([data[(10 * 64 + 5) * info.channels], data[(10 * 64 + 50) * info.channels]]).toEqual([255, 0]);
  });

  it('references run flux-2-pro: input_images in order, with the aspect ratio', async () => {
    const [a, b] = [await picture('png', 20, 20), await picture('jpeg', 30, 20)];
    await provider().generate({
      ...base,
      kind: 'reference',
      inputs: {
        references: [
          { role: 'product', image: a },
          { role: 'style', image: b },
        ],
      },
    });
    expect(last().model).toBe('black-forest-labs/flux-2-pro');
    expect(last().input.input_images).toEqual([dataUriOf(a), dataUriOf(b)]);
    expect(last().input.aspect_ratio).toBe('16:9');
  });

  it('upscale runs real-esrgan with only image and scale', async () => {
    const image = await picture();
    await provider().generate({ ...base, kind: 'upscale', inputs: { image, upscale: 4 } });
    expect(last()).toEqual({ model: 'nightmareai/real-esrgan', input: { image: dataUriOf(image), scale: 4 } });
  });

  it('uploads an image over the data-URI size through the files API and passes its URL', async () => {
    const image = await picture('png', 200, 150);
    await provider({ dataUriMaxBytes: 100 }).generate({ ...base, kind: 'image-to-image', inputs: { image } });
    const upload = fake.requests.find((request) => request.path === '/v1/files')!;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const file = fake.files.at(-1)!;
    expect([file.filename, file.type, file.bytes.equals(image.bytes), file.metadata]).toEqual([
      'image.png',
      'image/png',
      true,
      { darkroom: 'image' },
    ]);
    expect(last().input.image).toBe(`${fake.url}/v1/files/${file.id}`);
  });

  it('takes other models per kind and other fields per model from its options', async () => {
    const image = await picture();
    await provider({ kindModels: { 'image-to-image': 'black-forest-labs/flux-kontext-pro' } }).generate({
      ...base,
      kind: 'image-to-image',
      inputs: { image },
    });
    expect(last().model).toBe('black-forest-labs/flux-kontext-pro');
    expect(last().input.input_image).toBe(dataUriOf(image));
    await provider({
      kindModels: { 'image-to-image': 'acme/restyle' },
      inputFields: { 'acme/restyle': { image: 'source', strength: 'denoise' } },
    }).generate({ ...base, kind: 'image-to-image', inputs: { image, strength: 0.9 } });
    expect([last().model, last().input.source, last().input.denoise]).toEqual(['acme/restyle', dataUriOf(image), 0.9]);
  });

  it('refuses, before any call, an input the chosen model has no field for, naming it', async () => {
    const image = await picture();
    const darkroomMask = await mask();
    const before = fake.requests.length;
    const errors = await Promise.all(
      [
        provider({ kindModels: { 'image-to-image': 'black-forest-labs/flux-kontext-pro' } }).generate({
          ...base,
          kind: 'image-to-image',
          inputs: { image, strength: 0.5 },
        }),
        provider().generate({
          ...base,
          kind: 'image-to-image',
          inputs: { image, references: [{ role: 'style', image }] },
        }),
        provider({ kindModels: { inpaint: 'acme/unknown' } }).generate({
          ...base,
          kind: 'inpaint',
          inputs: { image, mask: darkroomMask },
        }),
        provider().generate({
          ...base,
          kind: 'reference',
          inputs: { references: Array.from({ length: 5 }, () => ({ role: 'style', image })) },
        }),
      ].map((call) => call.catch((error: unknown) => error)),
    );
    expect(errors.map((error) => isProviderError(error) && error.code)).toEqual(Array(4).fill('invalid_request'));
    expect(errors.map(String)).toEqual([
      expect.stringMatching(/inputs\.strength: the model has no field.*flux-kontext-pro/),
      expect.stringMatching(/inputs\.references: the model has no field.*flux-dev/),
      expect.stringMatching(/inputs\.image: the model has no field.*acme\/unknown/),
      expect.stringMatching(/inputs\.references: 5 given, the model takes at most 4.*flux-2-pro/),
    ]);
    expect(fake.requests.length).toBe(before);
  });
});
