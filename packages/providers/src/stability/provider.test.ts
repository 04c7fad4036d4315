import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { until } from '../testing/fake-http.js';
import { startFakeStability, type FakeStability } from '../testing/stability.js';
import { createStabilityProvider, type StabilityProviderOptions } from './provider.js';

const KEY = 'sk-stability-0123456789abcdef';
const request: GenerateRequest = {
  prompt: 'a mountain lake',
  negativePrompt: 'blurry',
  preset: 'photo',
  width: 1344,
  height: 768,
  seed: 21,
};
let fake: FakeStability;
beforeAll(async () => {
  fake = await startFakeStability({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<StabilityProviderOptions> = {}) =>
  createStabilityProvider({ apiKey: KEY, baseUrl: fake.url, pollIntervalMs: 5, ...extra });

describe('stability adapter', () => {
  it('posts multipart form data and reads an image answer with its finish-reason and seed headers', async () => {
    const image = await provider({ endpoint: 'sd3', model: 'sd3.5-large' }).generate(request);

    const sent = fake.requests.at(-1)!;
    expect([sent.path, sent.headers.accept, sent.headers.authorization]).toEqual([
      '/v2beta/stable-image/generate/sd3',
      'image/*',
      `Bearer ${KEY}`,
    ]);
    expect(fake.lastForm).toEqual({
      prompt: request.prompt,
      negative_prompt: 'blurry',
      aspect_ratio: '16:9',
      seed: '21',
      output_format: 'png',
      model: 'sd3.5-large',
    });
    expect([image.mime, image.width, image.height, image.seed]).toEqual(['image/png', 56, 40, 21]);
  });

  it('reads a JSON answer (base64 and finish_reason)', async () => {
    const image = await provider({ accept: 'json' }).generate(request);

    expect(fake.requests.at(-1)!.headers.accept).toBe('application/json');
    expect([image.mime, image.width]).toEqual(['image/png', 56]);
  });

  it.each(['image', 'json'] as const)(
    'maps finish_reason CONTENT_FILTERED (%s answer) to content_filtered',
    async (accept) => {
      const error = await providerFailure(provider({ accept }).generate({ ...request, prompt: 'filtered scene' }));
      expect([error.code, error.retryable]).toEqual(['content_filtered', false]);
    },
  );

  it('follows the async results flow: 202 while in progress, then 200', async () => {
    const mark = fake.requests.length;

    const image = await provider().generate({ ...request, prompt: 'async lake' });

    const polls = fake.requests.slice(mark).filter((r) => r.path.startsWith('/v2beta/results/'));
    expect(polls).toHaveLength(2);
    expect(image.providerRequestId).toMatch(/^[0-9a-f]{64}$/);
    expect(image.seed).toBe(99);
  });

  it('resumes an async generation by id without generating again', async () => {
    const id = await provider().submit!({ ...request, prompt: 'async resumed' });
    const generations = fake.generations;

    const image = await provider().resume!(id, request);

    expect([image.providerRequestId, fake.generations - generations]).toEqual([id, 0]);
  });

  it('ends the request when the result has expired (404)', async () => {
    const id = await provider().submit!({ ...request, prompt: 'async expiring' });
    fake.expireResults();
    try {
      const error = await providerFailure(provider().resume!(id, request));
      expect([error.code, error.requestEnded]).toEqual(['transient', true]);
    } finally {
      await fake.close();
      fake = await startFakeStability({ apiKey: KEY });
    }
  });

  it('ends the request when an immediate result was lost with the process that fetched it', async () => {
    const error = await providerFailure(provider().resume!('immediate-req-1', request));
    expect([error.code, error.requestEnded]).toEqual(['transient', true]);
  });

  it.each([
    ['403 content_moderation', { prompt: 'forbidden' }, null, 'content_filtered', undefined],
    [
      '401',
      { prompt: 'ok' },
      { status: 401, json: { id: 'x', name: 'unauthorized', errors: ['authorization: invalid'] } },
      'auth',
      undefined,
    ],
    [
      '402 payment_required',
      { prompt: 'ok' },
      { status: 402, json: { id: 'x', name: 'payment_required', errors: ['lacks sufficient credits'] } },
      'quota_exhausted',
      undefined,
    ],
    [
      '413',
      { prompt: 'ok' },
      {
        status: 413,
        json: { id: 'x', name: 'payload_too_large', errors: ['body: payloads cannot be larger than 10MiB'] },
      },
      'invalid_request',
      undefined,
    ],
    [
      '422',
      { prompt: 'ok' },
      { status: 422, json: { id: 'x', name: 'invalid_language', errors: ['English is the only supported language'] } },
      'invalid_request',
      undefined,
    ],
    [
      '429 without a header (the documented 60 s)',
      { prompt: 'ok' },
      { status: 429, json: { id: 'x', name: 'rate_limit_exceeded', errors: ['You have exceeded the rate limit'] } },
      'rate_limited',
      60_000,
    ],
    [
      '429 with retry-after',
      { prompt: 'ok' },
      { status: 429, headers: { 'retry-after': '5' }, json: { name: 'rate_limit_exceeded', errors: ['slow down'] } },
      'rate_limited',
      5000,
    ],
    [
      '500',
      { prompt: 'ok' },
      { status: 500, json: { id: 'x', name: 'internal_error', errors: ['An unexpected server error occurred'] } },
      'transient',
      undefined,
    ],
  ] as const)('maps %s', async (_name, override, reply, code, retryAfterMs) => {
    if (reply) fake.replyOnce('POST', /generate/, reply);

    const error = await providerFailure(provider().generate({ ...request, ...override }));

    expect([error.code, error.retryAfterMs]).toEqual([code, retryAfterMs]);
  });

  it('never repeats a refused key', async () => {
    const error = await providerFailure(
      createStabilityProvider({ apiKey: 'sk-wrong-stability-zzzz', baseUrl: fake.url }).generate(request),
    );
    expect(error.code).toBe('auth');
    expect(error.message).not.toContain('sk-wrong-stability-zzzz');
  });

  it('fails with transient when an image answer is not an image', async () => {
    fake.replyOnce('POST', /generate/, {
      status: 200,
      headers: { 'content-type': 'image/png', 'finish-reason': 'SUCCESS' },
      body: 'not a png',
    });
    expect((await providerFailure(provider().generate(request))).code).toBe('transient');
  });

  it('stops polling an async generation as soon as the signal aborts', async () => {
    const slow = await startFakeStability({ apiKey: KEY, pollsToFinish: 1_000_000 });
    try {
      const controller = new AbortController();
      const running = createStabilityProvider({ apiKey: KEY, baseUrl: slow.url, pollIntervalMs: 5 }).generate({
        ...request,
        prompt: 'async forever',
        signal: controller.signal,
      });
      await until(() => slow.requests.some((r) => r.path.startsWith('/v2beta/results/')));

      controller.abort();
      const error = await providerFailure(running);

      expect(error.code).toBe('canceled');
    } finally {
      await slow.close();
    }
  });
});
