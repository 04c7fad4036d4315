import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETACH, type GenerateRequest, type VendorStatus } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeFal, type FakeFal } from '../testing/fal.js';
import { until } from '../testing/fake-http.js';
import { createFalProvider, type FalProviderOptions } from './provider.js';

const KEY = 'fal-key-id:0123456789abcdef';
const request: GenerateRequest = { prompt: 'a paper boat', preset: 'illustration', width: 768, height: 512, seed: 3 };
let fake: FakeFal;
beforeAll(async () => {
  fake = await startFakeFal({ apiKey: KEY, queueAhead: 2 });
});
afterAll(() => fake.close());

const provider = (extra: Partial<FalProviderOptions> = {}) =>
  createFalProvider({ apiKey: KEY, baseUrl: fake.url, model: 'fal-ai/flux/dev', pollIntervalMs: 5, ...extra });
const since = (mark: number) => fake.requests.slice(mark);

describe('fal adapter', () => {
  it('submits to the model, reports the queue position as it drops, fetches the result and downloads the image', async () => {
    const mark = fake.requests.length;
    const statuses: VendorStatus[] = [];

    const image = await provider().generate({ ...request, onVendorStatus: (status) => statuses.push(status) });

    const sent = since(mark);
    const id = image.providerRequestId!;
    expect(sent.map((r) => `${r.method} ${r.path.replace(id, 'ID')}`)).toEqual([
      'POST /fal-ai/flux/dev',
      'GET /fal-ai/flux/requests/ID/status',
      'GET /fal-ai/flux/requests/ID/status',
      'GET /fal-ai/flux/requests/ID/status',
      'GET /fal-ai/flux/requests/ID/status',
      'GET /fal-ai/flux/requests/ID',
      'GET /files/ID.png',
    ]);
    expect(JSON.parse(sent[0]!.body.toString())).toEqual({
      prompt: request.prompt,
      image_size: { width: 768, height: 512 },
      seed: 3,
      num_images: 1,
      output_format: 'png',
      enable_safety_checker: true,
    });
    expect(sent[0]!.headers.authorization).toBe(`Key ${KEY}`);
    expect(statuses).toEqual([
      { state: 'queued', queuePosition: 2 },
      { state: 'queued', queuePosition: 1 },
      { state: 'queued', queuePosition: 0 },
      { state: 'running' },
    ]);
    expect([image.mime, image.width, image.seed]).toEqual(['image/png', 40, 3]);
  });

  it('passes the start deadline as X-Fal-Request-Timeout and maps fal giving up to timeout', async () => {
    const error = await providerFailure(
      provider().generate({ ...request, prompt: 'stuck in the queue', startBy: new Date(Date.now() + 1500) }),
    );

    expect(fake.requestTimeouts.at(-1)).toBe('1');
    expect([error.code, error.requestEnded]).toEqual(['timeout', true]);
    expect(error.message).toMatch(/request_timeout/);
  });

  it('sends no timeout header when there is no deadline', async () => {
    await provider().generate(request);
    expect(fake.requestTimeouts.at(-1)).toBeUndefined();
  });

  it.each([
    ['a content_policy_violation model error', 'forbidden words', 'content_filtered'],
    ['an image flagged by the safety checker', 'nsfw output', 'content_filtered'],
    ['error_type runner_disconnected', 'runner trouble', 'transient'],
  ] as const)('maps %s', async (_name, prompt, code) => {
    const error = await providerFailure(provider().generate({ ...request, prompt }));
    expect([error.code, error.requestEnded]).toEqual([code, true]);
  });

  it.each([
    [
      '429 with retry-after',
      { status: 429, headers: { 'retry-after': '4' }, json: { detail: 'Too many concurrent requests' } },
      'rate_limited',
      4000,
    ],
    [
      '403 exhausted balance',
      {
        status: 403,
        json: { detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.' },
      },
      'quota_exhausted',
      undefined,
    ],
    [
      '422 validation error',
      { status: 422, json: { detail: [{ loc: ['body', 'image_size'], msg: 'too large', type: 'image_too_large' }] } },
      'invalid_request',
      undefined,
    ],
    [
      '504 startup_timeout in the header only',
      { status: 504, headers: { 'x-fal-error-type': 'startup_timeout' }, body: 'timeout' },
      'timeout',
      undefined,
    ],
    [
      '400 bad_request',
      { status: 400, json: { detail: 'Invalid timeout header', error_type: 'bad_request' } },
      'invalid_request',
      undefined,
    ],
  ] as const)('maps a submit answering %s', async (_name, reply, code, retryAfterMs) => {
    fake.replyOnce('POST', /^\/fal-ai\/flux\/dev$/, reply);

    const error = await providerFailure(provider().generate(request));

    expect([error.code, error.retryAfterMs]).toEqual([code, retryAfterMs]);
  });

  it('maps a refused key to auth and never repeats the key', async () => {
    const error = await providerFailure(
      createFalProvider({ apiKey: 'fal-wrong:zzzzzzzz', baseUrl: fake.url, pollIntervalMs: 5 }).generate(request),
    );
    expect(error.code).toBe('auth');
    expect(error.message).not.toContain('fal-wrong:zzzzzzzz');
  });

  it('resumes a request submitted elsewhere without a second submit', async () => {
    const id = await provider().submit!(request);
    const submits = fake.submits;

    const image = await provider().resume!(id, request);

    expect([image.providerRequestId, fake.submits - submits]).toEqual([id, 0]);
  });

  it.each([
    ['malformed JSON', { status: 202, headers: { 'content-type': 'application/json' }, body: '{"status": "IN_Q' }],
    ['an unknown status', { status: 202, json: { status: 'EXPLODED' } }],
    ['a 500', { status: 500, json: { detail: 'Internal error', error_type: 'internal_error' } }],
  ] as const)('fails transient on a status poll answering %s, keeping the request', async (_name, reply) => {
    const id = await provider().submit!(request);
    fake.replyOnce('GET', /\/status$/, reply);

    const error = await providerFailure(provider().resume!(id, request));

    expect([error.code, error.requestEnded]).toEqual(['transient', false]);
  });

  it('ends the request when fal no longer knows it', async () => {
    const error = await providerFailure(provider().resume!('00000000-0000-0000-0000-000000000000', request));
    expect([error.code, error.requestEnded]).toEqual(['transient', true]);
  });

  it('cancels at fal when the signal aborts', async () => {
    const controller = new AbortController();
    const mark = fake.requests.length;
    const running = provider().generate({ ...request, prompt: 'hold on', signal: controller.signal });
    await until(() => since(mark).some((r) => r.path.endsWith('/status')));
    const id = since(mark)
      .find((r) => r.path.endsWith('/status'))!
      .path.split('/')
      .at(-2)!;

    controller.abort();
    const error = await providerFailure(running);

    expect(error.code).toBe('canceled');
    expect(fake.canceled).toContain(id);
    expect(fake.requests.at(-1)!.method).toBe('PUT');
  });

  it('leaves the request queued at fal when the abort is a DETACH', async () => {
    const controller = new AbortController();
    const mark = fake.requests.length;
    const running = provider().generate({ ...request, prompt: 'hold for the next worker', signal: controller.signal });
    await until(() => since(mark).some((r) => r.path.endsWith('/status')));

    controller.abort(DETACH);
    const error = await providerFailure(running);

    expect(error.code).toBe('canceled');
    expect(since(mark).filter((r) => r.method === 'PUT')).toEqual([]);
  });
});
