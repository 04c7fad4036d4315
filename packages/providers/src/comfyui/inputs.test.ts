import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeHttpServer } from '../testing/fake-http.js';
import { startFakeComfyUI, type FakeComfyUI } from '../testing/comfyui.js';
import { inputPhoto, leftHalfMask, pixel } from '../testing/input-images.js';
import { createComfyUIProvider, type ComfyUIProviderOptions } from './provider.js';
import { BUILTIN_INPAINT, loadWorkflowTemplates } from './workflow.js';

const base: GenerateRequest = { prompt: 'a fox', preset: 'photo', width: 80, height: 64, seed: 9 };
let fake: FakeComfyUI;
beforeAll(async () => {
  fake = await startFakeComfyUI();
});
afterAll(() => fake.close());

const provider = (extra: Partial<ComfyUIProviderOptions> = {}) =>
  createComfyUIProvider({ urls: [fake.url], pollIntervalMs: 10, steps: 3, ...extra });

describe('comfyui inputs', () => {
  it('image-to-image uploads the image with /upload/image and runs the img2img template at the strength', async () => {
    const image = await inputPhoto();
    const result = await provider().generate({ ...base, kind: 'image-to-image', inputs: { image, strength: 0.35 } });

    const upload = fake.uploads.at(-1)!;
    expect([upload.route, upload.fields, upload.mime]).toEqual([
      'image',
      { type: 'input', subfolder: 'darkroom', overwrite: 'true' },
      'image/png',
    ]);
    expect(upload.filename).toMatch(/^[0-9a-f-]{36}\.png$/);
    expect(upload.bytes.equals(image.bytes)).toBe(true);
    const graph = fake.prompts.at(-1)!.prompt;
    expect(graph['10']!.inputs).toEqual({ image: `darkroom/${upload.filename}` });
    expect(graph['12']!.inputs).toMatchObject({ width: 80, height: 64 });
    expect(graph['3']!.inputs).toMatchObject({ denoise: 0.35, latent_image: ['11', 0], seed: 9 });
    expect([result.width, result.height, result.seed]).toEqual([80, 64, 9]);
  });

  it('inpaint sends the mask to /upload/mask with original_ref, so the image carries it as alpha (transparent = regenerate)', async () => {
    const image = await inputPhoto();
    await provider().generate({ ...base, kind: 'inpaint', inputs: { image, mask: await leftHalfMask() } });

    const [imageUpload, maskUpload] = fake.uploads.slice(-2);
    expect(maskUpload!.route).toBe('mask');
    expect(JSON.parse(maskUpload!.fields.original_ref!)).toEqual({
      filename: imageUpload!.filename,
      subfolder: 'darkroom',
      type: 'input',
    });
    const combined = fake.file(`input/darkroom/${maskUpload!.filename}`)!;
    // Left (white in Darkroom's mask) is transparent, which LoadImageMask's inverted alpha reads as 1.
    expect([await pixel(combined, 5, 5, 3), await pixel(combined, 60, 5, 3)]).toEqual([0, 255]);
    expect(await pixel(combined, 5, 5, 0)).toBe(200);
    const graph = fake.prompts.at(-1)!.prompt;
    expect(graph['13']!.inputs).toEqual({ image: `darkroom/${maskUpload!.filename}`, channel: 'alpha' });
    expect(graph['14']!.class_type).toBe('SetLatentNoiseMask');
    expect(graph['3']!.inputs).toMatchObject({ denoise: 1, latent_image: ['14', 0] });
  });

  it('runs an operator template that names the kind it serves instead of the built-in one', async () => {
    const graph = structuredClone(BUILTIN_INPAINT);
    graph['11'] = {
      class_type: 'VAEEncodeForInpaint',
      inputs: { pixels: ['12', 0], vae: ['4', 2], mask: ['13', 0], grow_mask_by: 8 },
    };
    graph['3']!.inputs.latent_image = ['11', 0];
    delete graph['14'];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'comfy-kinds-'));
    writeFileSync(path.join(dir, 'inpaint-model.json'), JSON.stringify({ kinds: ['inpaint'], workflow: graph }));
    const image = await inputPhoto();
    await provider({ templates: loadWorkflowTemplates(dir) }).generate({
      ...base,
      kind: 'inpaint',
      inputs: { image, mask: await leftHalfMask() },
    });
    expect(fake.prompts.at(-1)!.prompt['11']!.inputs).toMatchObject({ grow_mask_by: 8 });
  });

  it('refuses an inpaint without a mask, and a kind no template serves, before anything is uploaded', async () => {
    const uploads = fake.uploads.length;
    const image = await inputPhoto();
    const noMask = await providerFailure(provider().generate({ ...base, kind: 'inpaint', inputs: { image } }));
    expect([noMask.code, noMask.message]).toEqual(['invalid_request', 'comfyui: an inpaint needs a mask']);
    const upscale = await providerFailure(provider().generate({ ...base, kind: 'upscale', inputs: { image } }));
    expect([upscale.code, upscale.message]).toEqual([
      'invalid_request',
      expect.stringContaining('no workflow template serves upscale'),
    ]);
    expect(fake.uploads.length).toBe(uploads);
  });

  it('an engine that refuses the upload connection is transient, and the image goes to the next instance', async () => {
    const dead = await startFakeHttpServer(() => ({ status: 200 }));
    await dead.close();
    const image = await inputPhoto();
    const request = { ...base, kind: 'image-to-image' as const, inputs: { image } };
    await provider({ urls: [dead.url, fake.url] }).generate(request);
    expect(fake.prompts.at(-1)!.prompt['10']!.inputs!.image).toMatch(/^darkroom\//);
    const error = await providerFailure(provider({ urls: [dead.url] }).generate(request));
    expect(error.code).toBe('transient');
  });

  it('an upload the server refuses (400, empty body) is invalid_request', async () => {
    fake.replyOnce('POST', /^\/upload\/image/, { status: 400 });
    const error = await providerFailure(
      provider().generate({ ...base, kind: 'image-to-image', inputs: { image: await inputPhoto() } }),
    );
    expect([error.code, error.message]).toEqual(['invalid_request', 'comfyui: upload/image answered 400']);
  });
});
