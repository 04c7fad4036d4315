import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeA1111, type FakeA1111 } from '../testing/a1111.js';
import { inputPhoto, leftHalfMask, pixel } from '../testing/input-images.js';
import { createA1111Provider } from './provider.js';

const base: GenerateRequest = { prompt: 'a harbour', preset: 'photo', width: 96, height: 64, seed: 5 };
let fake: FakeA1111;
beforeAll(async () => {
  fake = await startFakeA1111();
});
afterAll(() => fake.close());

const provider = () => createA1111Provider({ urls: [fake.url], pollIntervalMs: 5, steps: 4 });

describe('a1111 inputs', () => {
  it('image-to-image posts img2img with the image as init_images and strength as denoising_strength', async () => {
    const image = await inputPhoto();
    const result = await provider().generate({ ...base, kind: 'image-to-image', inputs: { image, strength: 0.3 } });

    expect(fake.requests.filter((r) => r.path.startsWith('/sdapi/v1/img2img'))).toHaveLength(1);
    const job = fake.jobs.at(-1)!;
    expect(job.body).toMatchObject({
      denoising_strength: 0.3,
      resize_mode: 0,
      width: 96,
      height: 64,
      seed: 5,
      steps: 4,
      include_init_images: false,
    });
    expect(job.body.mask).toBeUndefined();
    expect(job.initImage!.equals(image.bytes)).toBe(true);
    expect([result.width, result.height, result.seed]).toEqual([96, 64, 5]);
  });

  it('inpaint sends an opaque mask, white = repaint, filling from the original over the whole picture', async () => {
    const image = await inputPhoto();
    // A transparent "keep" half must stay keep: A1111 would read any alpha as the mask (opaque = repaint).
    await provider().generate({ ...base, kind: 'inpaint', inputs: { image, mask: await leftHalfMask(64, 48, true) } });

    const job = fake.jobs.at(-1)!;
    expect(job.body).toMatchObject({
      inpainting_fill: 1,
      inpaint_full_res: false,
      inpainting_mask_invert: 0,
      denoising_strength: 0.75,
    });
    const meta = await sharp(job.mask!).metadata();
    expect([meta.width, meta.height, meta.hasAlpha]).toEqual([64, 48, false]);
    expect([await pixel(job.mask!, 5, 5, 0), await pixel(job.mask!, 60, 5, 0)]).toEqual([255, 0]);
  });

  it('a body the server refuses names the field: missing init image, undecodable image, wrong type', async () => {
    fake.replyOnce('POST', /img2img/, {
      status: 404,
      json: { error: 'HTTPException', detail: 'Init image not found', body: '', errors: '' },
    });
    const image = await inputPhoto();
    const error = await providerFailure(provider().generate({ ...base, kind: 'image-to-image', inputs: { image } }));
    expect([error.code, error.message]).toEqual(['invalid_request', expect.stringContaining('Init image not found')]);

    const broken = { ...image, bytes: Buffer.from('not an image') };
    const undecodable = await providerFailure(
      provider().generate({ ...base, kind: 'image-to-image', inputs: { image: broken } }),
    );
    expect(undecodable.message).toContain('Invalid encoded image');
  });

  it('the fake checks img2img fields as pydantic does', async () => {
    const response = await fetch(`${fake.url}/sdapi/v1/img2img`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ init_images: 'x', denoising_strength: 'much', inpaint_full_res: 'maybe' }),
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { detail: { loc: string[] }[] };
    expect(body.detail.map((d) => d.loc[1])).toEqual(['init_images', 'denoising_strength', 'inpaint_full_res']);
    const missing = await fetch(`${fake.url}/sdapi/v1/img2img`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
  });
});
