/**
 * A job's own model on Replicate: `owner/name` is created at `/v1/models/{owner}/{name}/predictions`,
 * `owner/name:version` at `/v1/predictions` with `version`, `deployment:owner/name` at its deployment;
 * the named model runs every kind with its own input fields, and is reported as the model used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { inputPhoto, leftHalfMask } from '../testing/input-images.js';
import { startFakeReplicate, type FakeReplicate } from '../testing/replicate.js';
import { createReplicateProvider, type ReplicateProviderOptions } from './provider.js';

const KEY = 'r8_models_0123456789abcdefghij';
const VERSION = '0f1178f5a110ffe6a0c1b4a2b4ba3a2c';
const request: GenerateRequest = { prompt: 'a blue tram', preset: 'photo', width: 1024, height: 1024, seed: 21 };
let fake: FakeReplicate;
beforeAll(async () => {
  fake = await startFakeReplicate({ apiKey: KEY, pollsToFinish: 1 });
});
afterAll(() => fake.close());

const provider = (extra: Partial<ReplicateProviderOptions> = {}) =>
  createReplicateProvider({
    apiKey: KEY,
    baseUrl: fake.url,
    pollIntervalMs: 5,
    model: 'black-forest-labs/flux-schnell',
    models: [
      'black-forest-labs/flux-dev',
      'black-forest-labs/flux-kontext-pro',
      `acme/tuned:${VERSION}`,
      'deployment:acme/house-style',
    ],
    ...extra,
  });
const createPath = () => fake.requests.filter((r) => r.method === 'POST').at(-1)!.path;
const createBody = () =>
  JSON.parse(
    fake.requests
      .filter((r) => r.method === 'POST')
      .at(-1)!
      .body.toString('utf8'),
  ) as Record<string, unknown>;

describe('replicate: the model a job names', () => {
  it('creates a named owner/name at its models path, with the text fields, and reports it', async () => {
    const image = await provider().generate({ ...request, model: 'black-forest-labs/flux-dev' });
    expect(createPath()).toBe('/v1/models/black-forest-labs/flux-dev/predictions');
    expect(fake.inputs.at(-1)).toEqual({
      model: 'black-forest-labs/flux-dev',
      input: {
        prompt: 'a blue tram',
        seed: 21,
        aspect_ratio: '1:1',
        num_outputs: 1,
        output_format: 'png',
        disable_safety_checker: false,
      },
    });
    expect(image.model).toBe('black-forest-labs/flux-dev');
  });

  it('creates a named owner/name:version at /v1/predictions with its version', async () => {
    const image = await provider().generate({ ...request, model: `acme/tuned:${VERSION}` });
    expect(createPath()).toBe('/v1/predictions');
    expect(createBody()).toMatchObject({ version: VERSION, input: { prompt: 'a blue tram' } });
    expect(image.model).toBe(`acme/tuned:${VERSION}`);
  });

  it('creates a named deployment at its deployment path', async () => {
    await provider().generate({ ...request, model: 'deployment:acme/house-style' });
    expect(createPath()).toBe('/v1/deployments/acme/house-style/predictions');
    expect(fake.inputs.at(-1)!.model).toBe('deployment:acme/house-style');
  });

  it("runs a named model for image-to-image with that model's own image field", async () => {
    const photo = await inputPhoto();
    const image = await provider().generate({
      ...request,
      model: 'black-forest-labs/flux-kontext-pro',
      kind: 'image-to-image',
      inputs: { image: photo },
    });
    const { model, input } = fake.inputs.at(-1)!;
    expect(model).toBe('black-forest-labs/flux-kontext-pro');
    expect(input.input_image).toBe(`data:image/png;base64,${photo.bytes.toString('base64')}`);
    expect(input.image).toBeUndefined();
    expect(image.model).toBe('black-forest-labs/flux-kontext-pro');
  });

  it('refuses, before any call, an inpaint on a named model without a mask field', async () => {
    const before = fake.requests.length;
    const error = await providerFailure(
      provider().generate({
        ...request,
        model: 'black-forest-labs/flux-dev',
        kind: 'inpaint',
        inputs: { image: await inputPhoto(), mask: await leftHalfMask() },
      }),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('inputs.mask');
    expect(error.message).toContain('black-forest-labs/flux-dev');
    expect(fake.requests.length).toBe(before);
  });

  it.each([
    ['outside the configured list', {}, 'black-forest-labs/flux-1.1-pro', "is not one of this deployment's models"],
    ['not a Replicate model form (no list)', { models: undefined }, 'acme/../admin', 'is not owner/name'],
    ['a query in disguise (no list)', { models: undefined }, 'acme/x:abc?y=1', 'is not owner/name'],
  ])('refuses a model %s before any call', async (_, extra, model, text) => {
    const before = fake.requests.length;
    const error = await providerFailure(provider(extra).generate({ ...request, model }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain(text);
    expect(fake.requests.length).toBe(before);
  });
});
