/**
 * A job's own model on OpenAI: sent as the `model` field (generations JSON, edits multipart), with the
 * fields of that model's family, and reported back as the model that made the image; a model outside the
 * operator's list is refused before any call, one the vendor does not have is its typed error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { inputPhoto } from '../testing/input-images.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/openai.js';
import { createOpenAIProvider, type OpenAIProviderOptions } from './provider.js';

const KEY = 'sk-models-0123456789abcdef';
const request: GenerateRequest = { prompt: 'a red kite', preset: 'illustration', width: 1024, height: 1024, seed: 5 };
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({
    apiKey: KEY,
    baseUrl: fake.baseUrl,
    model: 'gpt-image-1',
    models: ['dall-e-3', 'gpt-image-1-mini'],
    ...extra,
  });
const lastBody = () => JSON.parse(fake.requests.at(-1)!.body.toString('utf8')) as Record<string, unknown>;

describe('openai: the model a job names', () => {
  it("sends a named dall-e-3 as `model`, with dall-e-3's fields, and reports it", async () => {
    const image = await provider().generate({ ...request, model: 'dall-e-3', quality: 'high' });
    expect(lastBody()).toEqual({
      model: 'dall-e-3',
      prompt: 'a red kite',
      n: 1,
      size: '1024x1024',
      quality: 'hd',
      response_format: 'b64_json',
    });
    expect([image.model, image.mime]).toEqual(['dall-e-3', 'image/png']);
  });

  it('runs and reports the configured model when the job names none', async () => {
    const image = await provider().generate(request);
    expect(lastBody()).toMatchObject({ model: 'gpt-image-1', output_format: 'png', moderation: 'auto' });
    expect(image.model).toBe('gpt-image-1');
  });

  it("sends a named model in an edit's multipart form (a -mini model: no input_fidelity)", async () => {
    const photo = await inputPhoto();
    const reference = await inputPhoto(32, 32);
    const image = await provider().generate({
      ...request,
      model: 'gpt-image-1-mini',
      kind: 'image-to-image',
      inputs: { image: photo, references: [{ role: 'style', image: reference }] },
    });
    const edit = fake.edits.at(-1)!;
    expect(edit.fields.model).toBe('gpt-image-1-mini');
    expect(edit.fields.input_fidelity).toBeUndefined();
    expect(edit.images).toHaveLength(2);
    expect(image.model).toBe('gpt-image-1-mini');
  });

  it('refuses a model outside the configured list before any call, listing the list', async () => {
    const before = fake.requests.length;
    const error = await providerFailure(provider().generate({ ...request, model: 'gpt-image-2' }));
    expect([error.code, error.retryable]).toEqual(['invalid_request', false]);
    expect(error.message).toBe(
      `openai: model: "gpt-image-2" is not one of this deployment's models; it has: gpt-image-1, dall-e-3, gpt-image-1-mini`,
    );
    expect(fake.requests.length).toBe(before);
  });

  it("maps the vendor's refusal of a model it does not have to invalid_request", async () => {
    const error = await providerFailure(
      provider({ models: undefined }).generate({ ...request, model: 'dall-e-4' } as GenerateRequest),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain("Invalid value: 'dall-e-4'");
  });

  it('refuses an edit on a named dall-e-3 (it has none) before any call', async () => {
    const before = fake.requests.length;
    const error = await providerFailure(
      provider().generate({
        ...request,
        model: 'dall-e-3',
        kind: 'image-to-image',
        inputs: { image: await inputPhoto() },
      }),
    );
    expect([error.code, error.message]).toEqual([
      'invalid_request',
      'openai: kind image-to-image: dall-e-3 has no edits',
    ]);
    expect(fake.requests.length).toBe(before);
  });
});
