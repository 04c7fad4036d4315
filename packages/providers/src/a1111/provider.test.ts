import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineProgress, GenerateRequest, VendorStatus } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeHttpServer, until } from '../testing/fake-http.js';
import { startFakeA1111, type FakeA1111 } from '../testing/a1111.js';
import { createA1111Provider, type A1111ProviderOptions } from './provider.js';

const AUTH = 'darkroom:s3cret-pass';
const request: GenerateRequest = {
  prompt: 'a lighthouse at dusk',
  negativePrompt: 'blurry',
  preset: 'photo',
  width: 96,
  height: 64,
  seed: 42,
};
let fake: FakeA1111;
beforeAll(async () => {
  fake = await startFakeA1111({ auth: AUTH });
});
afterAll(() => fake.close());

const provider = (extra: Partial<A1111ProviderOptions> = {}) =>
  createA1111Provider({ urls: [fake.url], auth: AUTH, pollIntervalMs: 5, steps: 8, ...extra });

/** A port nothing listens on: a server started and closed again. */
async function deadUrl() {
  const server = await startFakeHttpServer(() => ({ status: 200 }));
  await server.close();
  return server.url;
}

describe('a1111 adapter', () => {
  it('posts txt2img with basic auth and reads the image and the seed from info', async () => {
    const image = await provider({ cfgScale: 5.5, sampler: 'DPM++ 2M' }).generate(request);

    const sent = fake.requests.find((r) => r.path === '/sdapi/v1/txt2img')!;
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from(AUTH).toString('base64')}`);
    expect(fake.jobs.at(-1)!.body).toMatchObject({
      prompt: request.prompt,
      negative_prompt: 'blurry',
      seed: 42,
      steps: 8,
      cfg_scale: 5.5,
      sampler_name: 'DPM++ 2M',
      width: 96,
      height: 64,
      batch_size: 1,
      send_images: true,
      save_images: false,
    });
    expect(fake.jobs.at(-1)!.body).not.toHaveProperty('override_settings');
    expect([image.mime, image.width, image.height, image.seed, image.model]).toEqual([
      'image/png',
      96,
      64,
      42,
      'v1-5-pruned-emaonly',
    ]);
  });

  it('reports step progress read from /sdapi/v1/progress while the call blocks', async () => {
    fake.stepMs = 15;
    const progress: EngineProgress[] = [];
    const statuses: VendorStatus[] = [];
    try {
      await provider({ steps: 10 }).generate({
        ...request,
        onProgress: (p) => progress.push(p),
        onVendorStatus: (s) => statuses.push(s),
      });
    } finally {
      fake.stepMs = 2;
    }

    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((p) => p.max === 10 && p.value <= 10)).toBe(true);
    expect(progress.at(-1)!.value).toBeGreaterThan(progress[0]!.value);
    expect(statuses).toContainEqual({ state: 'running' });
  });

  it('passes a chosen model as override_settings.sd_model_checkpoint (its title)', async () => {
    const image = await provider().generate({ ...request, model: 'sdxl_sd_xl_base_1.0' });

    expect(fake.jobs.at(-1)!.body.override_settings).toEqual({
      sd_model_checkpoint: 'sdxl/sd_xl_base_1.0.safetensors [31e35c80fc]',
    });
    expect(image.model).toBe('sdxl_sd_xl_base_1.0');
  });

  it('refuses a model the server does not have (A1111 would drop it silently), listing the ones it has', async () => {
    const before = fake.jobs.length;
    const error = await providerFailure(provider().generate({ ...request, model: 'no-such-model' }));

    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('v1-5-pruned-emaonly');
    expect(fake.jobs.length).toBe(before);
  });

  it('interrupts the server when a running image is canceled', async () => {
    fake.stepMs = 50;
    const controller = new AbortController();
    const interrupts = fake.interrupts;
    try {
      const running = provider({ steps: 200 }).generate({ ...request, signal: controller.signal });
      await until(() => fake.running !== null);
      controller.abort();
      const error = await providerFailure(running);

      expect(error.code).toBe('canceled');
      await until(() => fake.interrupts === interrupts + 1);
      await until(() => fake.running === null);
      expect(fake.jobs.at(-1)!.interrupted).toBe(true);
    } finally {
      fake.stepMs = 2;
    }
  });

  it('cancels an image queued behind another job without interrupting that job, then stops it once it starts', async () => {
    fake.stepMs = 20;
    const other = createA1111Provider({ urls: [fake.url], auth: AUTH, steps: 30, pollIntervalMs: 5 });
    const controller = new AbortController();
    const interrupts = fake.interrupts;
    try {
      const first = other.generate({ ...request, prompt: 'someone else' });
      await until(() => fake.running !== null);
      const queued = provider({ steps: 500 }).generate({ ...request, signal: controller.signal });
      await until(() => fake.jobs.at(-1)!.body.prompt === request.prompt && fake.jobs.length >= 2);
      controller.abort();

      expect((await providerFailure(queued)).code).toBe('canceled');
      const firstImage = await first;
      expect(firstImage.width).toBe(96);
      expect(fake.jobs.at(-2)!.interrupted).toBe(false);
      await until(() => fake.interrupts === interrupts + 1);
      expect(fake.jobs.at(-1)!.interrupted).toBe(true);
    } finally {
      fake.stepMs = 2;
    }
  });

  it.each([
    [
      'a 422 validation error',
      {
        status: 422,
        json: { detail: [{ loc: ['body', 'steps'], msg: 'value is not a valid integer', type: 'type_error.integer' }] },
      },
      'invalid_request',
      'steps: value is not a valid integer',
    ],
    [
      'a 500 from the middleware',
      { status: 500, json: { error: 'RuntimeError', detail: '', body: '', errors: 'boom' } },
      'transient',
      'RuntimeError: boom',
    ],
    ['a 404 (no --api)', { status: 404, json: { detail: 'Not Found' } }, 'invalid_request', '--api'],
  ] as const)('maps %s', async (_, reply, code, text) => {
    fake.replyOnce('POST', /^\/sdapi\/v1\/txt2img$/, reply);
    const error = await providerFailure(provider().generate(request));
    expect([error.code, error.message.includes(text)]).toEqual([code, true]);
  });

  it("maps the fake's own 422 for a malformed field and a 500 OutOfMemoryError", async () => {
    const oom = await providerFailure(provider().generate({ ...request, prompt: 'oom please' }));
    expect([oom.code, oom.message]).toEqual(['transient', expect.stringContaining('CUDA out of memory')]);

    // What a hand-edited configuration could send: pydantic refuses a cfg_scale that is not a number.
    const bad = await providerFailure(provider({ cfgScale: 'high' as unknown as number }).generate(request));
    expect([bad.code, bad.message]).toEqual([
      'invalid_request',
      expect.stringContaining('cfg_scale: value is not a valid float'),
    ]);
  });

  it('answers auth for wrong credentials, and never shows them in the message', async () => {
    const error = await providerFailure(provider({ auth: 'darkroom:wrong-pass' }).generate(request));
    expect(error.code).toBe('auth');
    expect(error.message).not.toContain('wrong-pass');
  });

  it('answers timeout when the image takes too long, and interrupts it', async () => {
    fake.stepMs = 100;
    const interrupts = fake.interrupts;
    try {
      const error = await providerFailure(provider({ steps: 100, timeoutMs: 150 }).generate(request));
      expect(error.code).toBe('timeout');
      await until(() => fake.interrupts === interrupts + 1);
    } finally {
      fake.stepMs = 2;
      await until(() => fake.running === null);
    }
  });

  it('skips a dead instance in the pool, and keeps skipping it for a while', async () => {
    const dead = await deadUrl();
    const adapter = provider({ urls: [dead, fake.url], downForMs: 60_000 });
    const before = fake.jobs.length;

    await adapter.generate(request);
    await adapter.generate(request);

    expect(fake.jobs.length).toBe(before + 2);
  });

  it('answers transient when every instance is unreachable', async () => {
    const error = await providerFailure(provider({ urls: [await deadUrl(), await deadUrl()] }).generate(request));
    expect([error.code, error.message]).toEqual(['transient', expect.stringContaining('no instance is reachable')]);
  });

  it('sends one job at a time to an instance, and a second instance takes the next image', async () => {
    const second = await startFakeA1111({ auth: AUTH, stepMs: 20 });
    fake.stepMs = 20;
    try {
      const adapter = provider({ urls: [fake.url, second.url], steps: 5 });
      const before = fake.jobs.length;
      await Promise.all([adapter.generate(request), adapter.generate(request), adapter.generate(request)]);
      expect([fake.jobs.length - before, second.jobs.length].sort()).toEqual([1, 2]);
    } finally {
      fake.stepMs = 2;
      await second.close();
    }
  });
});
