/**
 * A job's own model on Stability: `ultra` and `core` are generate endpoints, any other name is an sd3
 * `model` field (text-to-image and sd3's image-to-image); the edit, control and upscale endpoints take
 * no model, so a job naming one there is refused before any call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { inputPhoto, leftHalfMask } from '../testing/input-images.js';
import { startFakeStability, type FakeStability } from '../testing/stability.js';
import { createStabilityProvider, type StabilityProviderOptions } from './provider.js';

const KEY = 'sk-stability-models-0123456789';
const request: GenerateRequest = { prompt: 'a stone bridge', preset: 'photo', width: 1024, height: 1024, seed: 11 };
let fake: FakeStability;
beforeAll(async () => {
  fake = await startFakeStability({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<StabilityProviderOptions> = {}) =>
  createStabilityProvider({
    apiKey: KEY,
    baseUrl: fake.url,
    endpoint: 'core',
    models: ['ultra', 'core', 'sd3.5-large', 'sd3.5-medium'],
    pollIntervalMs: 5,
    ...extra,
  });
const lastPath = () => fake.requests.at(-1)!.path;

describe('stability: the model a job names', () => {
  it('runs a named ultra on generate/ultra, without a model field, and reports it', async () => {
    const image = await provider().generate({ ...request, model: 'ultra' });
    expect(lastPath()).toBe('/v2beta/stable-image/generate/ultra');
    expect(fake.lastForm).toEqual({
      prompt: 'a stone bridge',
      aspect_ratio: '1:1',
      seed: '11',
      output_format: 'png',
    });
    expect(image.model).toBe('ultra');
  });

  it('runs a named sd3 model on generate/sd3 as its model field, over a configured core endpoint', async () => {
    const image = await provider().generate({ ...request, model: 'sd3.5-medium' });
    expect(lastPath()).toBe('/v2beta/stable-image/generate/sd3');
    expect(fake.lastForm).toMatchObject({ prompt: 'a stone bridge', model: 'sd3.5-medium' });
    expect(image.model).toBe('sd3.5-medium');
  });

  it('runs the configured endpoint (no model field on core) and reports it when the job names none', async () => {
    const image = await provider({ model: 'sd3.5-large' }).generate(request);
    expect(lastPath()).toBe('/v2beta/stable-image/generate/core');
    expect(fake.lastForm.model).toBeUndefined();
    expect(image.model).toBe('core');
  });

  it("sends a named sd3 model with sd3's image-to-image", async () => {
    const image = await provider().generate({
      ...request,
      model: 'sd3.5-large',
      kind: 'image-to-image',
      inputs: { image: await inputPhoto(), strength: 0.5 },
    });
    const call = fake.edits.at(-1)!;
    expect([call.path, call.fields.mode, call.fields.model, call.fields.strength]).toEqual([
      'generate/sd3',
      'image-to-image',
      'sd3.5-large',
      '0.5',
    ]);
    expect(image.model).toBe('sd3.5-large');
  });

  it.each([
    ['an inpaint', 'sd3.5-large', 'inpaint' as const],
    ['image-to-image on ultra', 'ultra', 'image-to-image' as const],
  ])('refuses a named model for %s before any call', async (_, model, kind) => {
    const before = fake.requests.length;
    const inputs = { image: await inputPhoto(), ...(kind === 'inpaint' ? { mask: await leftHalfMask() } : {}) };
    const error = await providerFailure(provider().generate({ ...request, model, kind, inputs }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain(`model: ${model} cannot run ${kind}`);
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a model outside the configured list before any call', async () => {
    const before = fake.requests.length;
    const error = await providerFailure(provider().generate({ ...request, model: 'sd3-medium' }));
    expect([error.code, error.message]).toEqual([
      'invalid_request',
      `stability: model: "sd3-medium" is not one of this deployment's models; it has: ultra, core, sd3.5-large, sd3.5-medium`,
    ]);
    expect(fake.requests.length).toBe(before);
  });

  it("maps the vendor's refusal of a model it does not have to invalid_request", async () => {
    const error = await providerFailure(provider({ models: undefined }).generate({ ...request, model: 'sdxl-1.0' }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain("model: 'sdxl-1.0' is not a model of generate/sd3");
  });
});
