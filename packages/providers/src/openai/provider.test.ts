import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../errors.js';
import type { GenerateRequest } from '../provider.js';
import { fakePng } from '../testing/fake-http.js';
import { startFakeOpenAI, type FakeOpenAI } from '../testing/openai.js';
import { createOpenAIProvider, type OpenAIProviderOptions } from './provider.js';

const KEY = 'sk-test-0123456789abcdef';
const request: GenerateRequest = {
  prompt: 'a lighthouse at dusk',
  preset: 'illustration',
  width: 1024,
  height: 768,
  seed: 7,
};
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: KEY, baseUrl: fake.baseUrl, ...extra });
const bodyOf = (at: number) => JSON.parse(fake.requests.at(at)!.body.toString('utf8')) as Record<string, unknown>;
const lastBody = () => bodyOf(-1);

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('openai adapter', () => {
  it('sends a gpt-image request with size, quality, output_format and background, and decodes the base64 image', async () => {
    const image = await provider({ quality: 'high', background: 'opaque', outputFormat: 'png' }).generate(request);

    expect(lastBody()).toEqual({
      model: 'gpt-image-1',
      prompt: request.prompt,
      n: 1,
      size: '1536x1024',
      quality: 'high',
      output_format: 'png',
      background: 'opaque',
      moderation: 'auto',
    });
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect([image.mime, image.width, image.height, image.seed]).toEqual(['image/png', 96, 64, 7]);
    expect(image.providerRequestId).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("sends the request's quality over the configured one, in each model family's words", async () => {
    await provider({ quality: 'low' }).generate({ ...request, quality: 'high' });
    expect(lastBody().quality).toBe('high');
    await provider({ quality: 'low' }).generate(request);
    expect(lastBody().quality).toBe('low');
    await provider({ model: 'dall-e-3' }).generate({ ...request, quality: 'high' });
    expect(lastBody().quality).toBe('hd');
    await provider({ model: 'dall-e-3', quality: 'hd' }).generate({ ...request, quality: 'medium' });
    expect(lastBody().quality).toBe('standard');
    await provider({ model: 'dall-e-2' }).generate({ ...request, quality: 'high' });
    expect(lastBody()).not.toHaveProperty('quality');
  });

  it('asks gpt-image for the output format the request wants', async () => {
    const image = await provider({ outputFormat: 'png' }).generate({ ...request, outputFormat: 'webp' });

    expect(lastBody().output_format).toBe('webp');
    expect(image.mime).toBe('image/webp');
  });

  it('asks dall-e-3 for its own sizes, and downloads a URL answer at once so its expiry does not matter', async () => {
    const image = await provider({ model: 'dall-e-3', responseFormat: 'url', quality: 'hd' }).generate({
      ...request,
      width: 768,
      height: 1344,
    });
    fake.expireUrls();

    expect(bodyOf(-2)).toEqual({
      model: 'dall-e-3',
      prompt: request.prompt,
      n: 1,
      size: '1024x1792',
      quality: 'hd',
      response_format: 'url',
    });
    expect(fake.requests.at(-1)!.path).toMatch(/^\/files\//);
    expect([image.mime, image.width, image.height]).toEqual(['image/png', 64, 112]);
    expect(image.bytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it('fails with requestEnded when a URL answer has already expired', async () => {
    fake.replyOnce('POST', /images\/generations/, {
      status: 200,
      json: { created: 1, data: [{ url: `${fake.url}/files/gone.png` }] },
    });

    const error = await failureOf(provider({ model: 'dall-e-3', responseFormat: 'url' }).generate(request));

    expect([error.code, error.requestEnded]).toEqual(['transient', true]);
  });

  it.each([
    [
      'rate_limit_exceeded with retry-after-ms',
      429,
      { 'retry-after-ms': '1500' },
      'rate_limit_exceeded',
      'requests',
      'rate_limited',
      1500,
    ],
    [
      'rate_limit_exceeded with only the reset header',
      429,
      { 'x-ratelimit-reset-requests': '6m0s' },
      'rate_limit_exceeded',
      'requests',
      'rate_limited',
      360_000,
    ],
    [
      'rate_limit_exceeded with retry-after seconds',
      429,
      { 'retry-after': '2' },
      'rate_limit_exceeded',
      'requests',
      'rate_limited',
      2000,
    ],
    ['insufficient_quota', 429, {}, 'insufficient_quota', 'insufficient_quota', 'quota_exhausted', undefined],
    [
      'billing_hard_limit_reached',
      400,
      {},
      'billing_hard_limit_reached',
      'billing_limit_user_error',
      'quota_exhausted',
      undefined,
    ],
    ['moderation_blocked', 400, {}, 'moderation_blocked', 'image_generation_user_error', 'content_filtered', undefined],
    [
      'content_policy_violation',
      400,
      {},
      'content_policy_violation',
      'invalid_request_error',
      'content_filtered',
      undefined,
    ],
    ['invalid_value', 400, {}, 'invalid_value', 'invalid_request_error', 'invalid_request', undefined],
    ['a 403', 403, {}, 'unsupported_country_region_territory', 'request_forbidden', 'auth', undefined],
    ['a 500', 500, {}, null, 'server_error', 'transient', undefined],
    ['a 503', 503, {}, null, 'server_error', 'transient', undefined],
  ] as const)('maps %s to its taxonomy code', async (_name, status, headers, code, type, expected, retryAfterMs) => {
    fake.replyOnce('POST', /images\/generations/, {
      status,
      headers,
      json: { error: { message: `vendor says ${code}`, type, param: null, code } },
    });

    const error = await failureOf(provider().generate(request));

    expect([error.code, error.retryAfterMs]).toEqual([expected, retryAfterMs]);
    expect(error.message).toContain(`vendor says ${code}`);
  });

  it('refuses a prompt the safety system blocks, as content_filtered and not retryable', async () => {
    const error = await failureOf(provider().generate({ ...request, prompt: 'something forbidden' }));
    expect([error.code, error.retryable]).toEqual(['content_filtered', false]);
  });

  it('maps a refused key to auth without ever repeating the key', async () => {
    const error = await failureOf(
      createOpenAIProvider({ apiKey: 'sk-wrong-key-zzzzzzzz', baseUrl: fake.baseUrl }).generate(request),
    );

    expect(error.code).toBe('auth');
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    expect(error.message).not.toContain('sk-wrong-key-zzzzzzzz');
  });

  describe('bad answers fail the image with a code, never crash', () => {
    it.each([
      [
        'malformed JSON',
        { status: 200, headers: { 'content-type': 'application/json' }, body: '{"created": 1, "data": [' },
        'transient',
        /not JSON/,
      ],
      ['JSON of the wrong shape', { status: 200, json: { created: 1, data: [] } }, 'transient', /unexpected shape/],
      [
        'base64 that is not an image',
        { status: 200, json: { created: 1, data: [{ b64_json: Buffer.from('hello').toString('base64') }] } },
        'transient',
        /not a png/,
      ],
      ['an unexpected status', { status: 418, body: 'teapot' }, 'invalid_request', /418/],
      ['a 304', { status: 304 }, 'transient', /304/],
      ['a reset connection', { reset: true }, 'transient', /no usable answer/],
    ] as const)('%s', async (_name, reply, code, message) => {
      fake.replyOnce('POST', /images\/generations/, reply);

      const error = await failureOf(provider().generate(request));

      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });

    it('a redirect loop', async () => {
      // fetch follows 20 redirects and fails on the 21st answer: exactly that many, none left over.
      for (let i = 0; i < 21; i++)
        fake.replyOnce('POST', /images\/generations/, {
          status: 307,
          headers: { location: `${fake.baseUrl}/images/generations` },
        });

      const error = await failureOf(provider().generate(request));

      expect(error.code).toBe('transient');
      expect(fake.requests.slice(-21).every((r) => r.method === 'POST')).toBe(true);
    });

    it('a body larger than the cap', async () => {
      fake.replyOnce('POST', /images\/generations/, {
        status: 200,
        json: { created: 1, data: [{ b64_json: 'A'.repeat(300_000) }] },
      });

      const error = await failureOf(provider({ maxBytes: 100_000 }).generate(request));

      expect([error.code, error.message]).toEqual(['transient', 'openai: answered more than 100000 bytes']);
    });

    it('no answer at all', async () => {
      fake.replyOnce('POST', /images\/generations/, { hang: true });

      const error = await failureOf(provider({ timeoutMs: 200 }).generate(request));

      expect([error.code, error.retryable]).toEqual(['timeout', true]);
    });
  });

  it('waits for a slow answer within its timeout', async () => {
    const png = await fakePng(64, 64);
    fake.replyOnce('POST', /images\/generations/, {
      status: 200,
      delayMs: 300,
      headers: { 'x-request-id': 'req_slow' },
      json: { created: 1, data: [{ b64_json: png.toString('base64') }] },
    });

    const image = await provider({ timeoutMs: 30_000 }).generate(request);

    expect([image.providerRequestId, image.width]).toEqual(['req_slow', 64]);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    fake.replyOnce('POST', /images\/generations/, { hang: true });
    const controller = new AbortController();
    const running = provider().generate({ ...request, signal: controller.signal });
    const seen = fake.requests.length;
    while (fake.requests.length === seen) await new Promise((resolve) => setTimeout(resolve, 5));

    controller.abort();

    expect((await failureOf(running)).code).toBe('canceled');
  });

  it('leaves no listener behind on a long-lived signal, however many calls it spans', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 5; i++) await provider().generate({ ...request, signal: controller.signal });

    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
