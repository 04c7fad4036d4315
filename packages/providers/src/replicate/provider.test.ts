import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETACH, type GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { until } from '../testing/fake-http.js';
import { startFakeReplicate, type FakeReplicate } from '../testing/replicate.js';
import { createReplicateProvider, type ReplicateProviderOptions } from './provider.js';

const KEY = 'r8_test_0123456789abcdefghij';
const request: GenerateRequest = { prompt: 'a fox in the snow', preset: 'photo', width: 1024, height: 768, seed: 11 };
let fake: FakeReplicate;
beforeAll(async () => {
  fake = await startFakeReplicate({ apiKey: KEY });
});
afterAll(() => fake.close());

const provider = (extra: Partial<ReplicateProviderOptions> = {}) =>
  createReplicateProvider({
    apiKey: KEY,
    baseUrl: fake.url,
    model: 'black-forest-labs/flux-schnell',
    pollIntervalMs: 5,
    ...extra,
  });
const since = (mark: number) => fake.requests.slice(mark);

describe('replicate adapter', () => {
  it('creates a prediction by model, polls it to success and downloads the output at once', async () => {
    const mark = fake.requests.length;
    const creates = fake.creates;

    const image = await provider().generate(request);

    const sent = since(mark);
    expect(sent[0]!.path).toBe('/v1/models/black-forest-labs/flux-schnell/predictions');
    expect(JSON.parse(sent[0]!.body.toString())).toEqual({
      input: {
        prompt: request.prompt,
        seed: 11,
        aspect_ratio: '4:3',
        num_outputs: 1,
        output_format: 'png',
        disable_safety_checker: false,
      },
    });
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.map((r) => `${r.method} ${r.path.replace(image.providerRequestId!, 'ID')}`)).toEqual([
      'POST /v1/models/black-forest-labs/flux-schnell/predictions',
      'GET /v1/predictions/ID',
      'GET /v1/predictions/ID',
      'GET /output/ID.png',
    ]);
    expect([image.mime, image.width, image.height, fake.creates - creates]).toEqual(['image/png', 48, 64, 1]);
  });

  it('creates by version and by deployment at their own endpoints', async () => {
    const mark = fake.requests.length;
    await provider({ model: 'owner/model:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa' }).generate(
      request,
    );
    await provider({ model: 'deployment:acme/flux-prod' }).generate(request);

    const creates = since(mark).filter((r) => r.method === 'POST');
    expect(creates.map((r) => r.path)).toEqual(['/v1/predictions', '/v1/deployments/acme/flux-prod/predictions']);
    expect(JSON.parse(creates[0]!.body.toString()).version).toBe(
      '5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa',
    );
  });

  it('sends Prefer: wait and needs no poll when the create answers finished', async () => {
    const mark = fake.requests.length;

    await provider({ waitSeconds: 30 }).generate(request);

    expect(since(mark)[0]!.headers.prefer).toBe('wait=30');
    expect(since(mark).filter((r) => r.path.startsWith('/v1/predictions/'))).toHaveLength(0);
  });

  it('resumes a prediction submitted by another process without creating a second one', async () => {
    const id = await provider().submit!(request);
    const creates = fake.creates;

    const image = await provider().resume!(id, request);

    expect([image.providerRequestId, fake.creates - creates]).toEqual([id, 0]);
  });

  it.each([
    ['an NSFW failure', 'forbidden fruit', 'content_filtered', /NSFW content detected/],
    ['a model crash', 'crash the gpu', 'transient', /CUDA out of memory/],
    ['an aborted prediction', 'abort early', 'timeout', /aborted/],
  ] as const)('maps %s to its code and ends the request', async (_name, prompt, code, message) => {
    const error = await providerFailure(provider().generate({ ...request, prompt }));

    expect([error.code, error.requestEnded]).toEqual([code, true]);
    expect(error.message).toMatch(message);
  });

  it.each([
    [
      '429 with retry_after in the body',
      {
        status: 429,
        json: {
          title: 'Too many requests',
          detail: 'Request was throttled. Expected available in 3 seconds.',
          status: 429,
          retry_after: 3,
        },
      },
      'rate_limited',
      3000,
    ],
    [
      '429 with only a Retry-After header',
      {
        status: 429,
        headers: { 'retry-after': '7' },
        json: { detail: 'Request was throttled. Your rate limit resets in ~7s.' },
      },
      'rate_limited',
      7000,
    ],
    [
      '402 insufficient credit',
      {
        status: 402,
        json: { title: 'Insufficient credit', detail: 'You have insufficient credit to run this model.', status: 402 },
      },
      'quota_exhausted',
      undefined,
    ],
    [
      '422 invalid input',
      {
        status: 422,
        json: { title: 'Input validation failed', detail: 'aspect_ratio: must be one of ...', status: 422 },
      },
      'invalid_request',
      undefined,
    ],
    [
      '404 unknown model',
      { status: 404, json: { title: 'Not found', detail: 'model not found', status: 404 } },
      'invalid_request',
      undefined,
    ],
    ['503', { status: 503, body: 'upstream unavailable' }, 'transient', undefined],
  ] as const)('maps a create answering %s', async (_name, reply, code, retryAfterMs) => {
    fake.replyOnce('POST', /predictions$/, reply);

    const error = await providerFailure(provider().generate(request));

    expect([error.code, error.retryAfterMs]).toEqual([code, retryAfterMs]);
  });

  it('maps a refused token to auth and never repeats the token', async () => {
    const error = await providerFailure(
      createReplicateProvider({ apiKey: 'r8_wrong_zzzzzzzzzzzz', baseUrl: fake.url, pollIntervalMs: 5 }).generate(
        request,
      ),
    );
    expect(error.code).toBe('auth');
    expect(error.message).not.toContain('r8_wrong_zzzzzzzzzzzz');
  });

  it('keeps the request alive when a status poll fails, so a retry resumes it', async () => {
    const id = await provider().submit!(request);
    fake.replyOnce('GET', /^\/v1\/predictions\//, { status: 502, body: 'bad gateway' });

    const error = await providerFailure(provider().resume!(id, request));
    const image = await provider().resume!(id, request);

    expect([error.code, error.requestEnded]).toEqual(['transient', false]);
    expect(image.providerRequestId).toBe(id);
  });

  it.each([
    [
      'malformed JSON',
      { status: 200, headers: { 'content-type': 'application/json' }, body: '{"id": "x", "status": ' },
    ],
    ['an unknown status', { status: 200, json: { id: 'x', status: 'exploded' } }],
    ['a 500', { status: 500, json: { title: 'Internal server error', status: 500 } }],
  ] as const)('fails transient on a status poll answering %s, keeping the request', async (_name, reply) => {
    const id = await provider().submit!(request);
    fake.replyOnce('GET', /^\/v1\/predictions\//, reply);

    const error = await providerFailure(provider().resume!(id, request));

    expect([error.code, error.requestEnded]).toEqual(['transient', false]);
  });

  it('ends the request when Replicate has forgotten the prediction', async () => {
    const id = await provider().submit!(request);
    fake.forgetPredictions();

    const error = await providerFailure(provider().resume!(id, request));

    expect([error.code, error.requestEnded]).toEqual(['transient', true]);
  });

  it('ends the request when the output expired before it was downloaded', async () => {
    const id = await provider().submit!(request);
    fake.expireOutputs();
    try {
      const error = await providerFailure(provider().resume!(id, request));
      expect([error.code, error.requestEnded]).toEqual(['transient', true]);
    } finally {
      await fake.close();
      fake = await startFakeReplicate({ apiKey: KEY });
    }
  });

  it('cancels the prediction at Replicate when the signal aborts', async () => {
    const controller = new AbortController();
    const running = provider().generate({ ...request, prompt: 'hold this one', signal: controller.signal });
    await until(() => fake.requests.some((r) => r.method === 'GET' && r.path.startsWith('/v1/predictions/')));
    const id = fake.requests
      .find((r) => r.method === 'GET' && r.path.startsWith('/v1/predictions/'))!
      .path.split('/')
      .pop()!;

    controller.abort();
    const error = await providerFailure(running);

    expect(error.code).toBe('canceled');
    expect(fake.canceled).toContain(id);
    expect(fake.statusOf(id)).toBe('canceled');
  });

  it('leaves the prediction running when the abort is a DETACH (a worker handing the image over)', async () => {
    const controller = new AbortController();
    const mark = fake.requests.length;
    const running = provider().generate({ ...request, prompt: 'hold for the next worker', signal: controller.signal });
    await until(() =>
      fake.requests.slice(mark).some((r) => r.method === 'GET' && r.path.startsWith('/v1/predictions/')),
    );
    const id = fake.requests
      .slice(mark)
      .find((r) => r.method === 'GET')!
      .path.split('/')
      .pop()!;

    controller.abort(DETACH);
    const error = await providerFailure(running);

    expect(error.code).toBe('canceled');
    expect(fake.canceled).not.toContain(id);
    expect(fake.statusOf(id)).toBe('processing');
  });
});
