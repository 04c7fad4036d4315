/**
 * A job's own model on fal: the endpoint id the request is submitted to (`POST /fal-ai/...`), polled and
 * fetched under its owner/app; it runs every kind with its own input fields and is reported as the
 * model used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeFal, type FakeFal } from '../testing/fal.js';
import { inputPhoto } from '../testing/input-images.js';
import { createFalProvider, type FalProviderOptions } from './provider.js';

const KEY = 'fal-models-key-0123456789';
const request: GenerateRequest = { prompt: 'a yellow door', preset: 'photo', width: 1024, height: 1024, seed: 4 };
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
    models: ['fal-ai/flux/dev', 'fal-ai/flux-pro/kontext'],
    pollIntervalMs: 5,
    ...extra,
  });

describe('fal: the model a job names', () => {
  it('submits to the named endpoint and polls under its app, and reports it', async () => {
    const image = await provider().generate({ ...request, model: 'fal-ai/flux/dev' });
    const submit = fake.requests.find((r) => r.method === 'POST' && r.path === '/fal-ai/flux/dev')!;
    expect(JSON.parse(submit.body.toString('utf8'))).toMatchObject({ prompt: 'a yellow door', seed: 4 });
    expect(fake.inputs.at(-1)!.model).toBe('fal-ai/flux/dev');
    // Same app as the configured fal-ai/flux/schnell: the bare request id, polled under fal-ai/flux.
    const id = image.providerRequestId!;
    expect(fake.requests.some((r) => r.path === `/fal-ai/flux/requests/${id}/status`)).toBe(true);
    expect(image.model).toBe('fal-ai/flux/dev');
  });

  it('runs a named endpoint of another app for image-to-image, with its own image field and the app in the id', async () => {
    const photo = await inputPhoto();
    const named = {
      ...request,
      model: 'fal-ai/flux-pro/kontext',
      kind: 'image-to-image' as const,
      inputs: { image: photo },
    };
    const adapter = provider();
    const id = await adapter.submit!(named);
    expect(id).toMatch(/^fal-ai\/flux-pro#[0-9a-f-]{36}$/);
    const { model, input } = fake.inputs.at(-1)!;
    expect(model).toBe('fal-ai/flux-pro/kontext');
    expect(input.image_url).toBe(`data:image/png;base64,${photo.bytes.toString('base64')}`);
    // Any process resumes it from the recorded id alone.
    const image = await provider().resume!(id, named);
    expect(image.model).toBe('fal-ai/flux-pro/kontext');
  });

  it.each([
    ['outside the configured list', {}, 'fal-ai/recraft-v3', "is not one of this deployment's models"],
    ['with a path upwards (no list)', { models: undefined }, 'fal-ai/flux/../../admin', 'is not a fal endpoint id'],
    ['with a query (no list)', { models: undefined }, 'fal-ai/flux?x=1', 'is not a fal endpoint id'],
  ])('refuses a model %s before any call', async (_, extra, model, text) => {
    const before = fake.requests.length;
    const error = await providerFailure(provider(extra).generate({ ...request, model }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain(text);
    expect(fake.requests.length).toBe(before);
  });
});
