import { sizeFor } from '@darkroom/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../server.js';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

// The official `openai` package, unchanged but for baseURL, against Darkroom listening on 127.0.0.1.
let h: Harness;
let baseURL: string;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker({ MOCK_LATENCY_MS: '4000' });
  const server = await h.server();
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address() as { port: number };
  baseURL = `http://127.0.0.1:${address.port}/v1`;
});
afterAll(() => h?.close());

const clientFor = (apiKey: string) => new OpenAI({ apiKey, baseURL });

describe('the OpenAI-compatible endpoint, through the openai SDK', () => {
  it('images.generate with b64_json runs a job through the queue and returns the PNGs', async () => {
    const result = await clientFor(h.apiKey).images.generate({
      model: 'local',
      prompt: 'a fox in the snow',
      n: 2,
      size: '1024x1536',
      response_format: 'b64_json',
      quality: 'hd',
      user: 'end-user-7',
    });

    expect(result.data).toHaveLength(2);
    for (const image of result.data ?? [])
      expect(Buffer.from(image.b64_json!, 'base64').subarray(0, 4)).toEqual(PNG_MAGIC);
    expect(result.created).toBeGreaterThan(1_700_000_000);
    const { width, height } = sizeFor('2:3');
    expect(result.size).toBe(`${width}x${height}`);
    const job = (await h.caller.jobs.list({ limit: 1 })).items[0]!;
    expect(job).toMatchObject({
      numImages: 2,
      aspectRatio: '2:3',
      provider: 'local',
      quality: 'high',
      status: 'succeeded',
      metadata: { via: 'openai', user: 'end-user-7' },
    });
  });

  it("images.generate with url answers signed URLs that open the image without credentials for 60 minutes, as OpenAI's do", async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await clientFor(h.apiKey).images.generate({ prompt: 'a teapot' });

    const url = new URL(result.data![0]!.url!);
    expect(url.href.startsWith(baseURL.replace('/v1', '/images/'))).toBe(true);
    const expires = Number(url.searchParams.get('expires'));
    expect(expires - before).toBeGreaterThanOrEqual(3600);
    expect(expires - before).toBeLessThanOrEqual(3600 + 60);
    const image = await fetch(url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer()).subarray(0, 4)).toEqual(PNG_MAGIC);
    url.searchParams.set('signature', 'x'.repeat(43));
    expect((await fetch(url)).status).toBe(403);
    // `quality` left at OpenAI's `auto`: the provider's default.
    expect((await h.caller.jobs.list({ limit: 1 })).items[0]!.quality).toBeNull();
  });

  it('models.list lists the providers as models', async () => {
    const models = [];
    for await (const model of clientFor(h.apiKey).models.list()) models.push(model);

    expect(models.map((model) => [model.id, model.object, model.owned_by])).toEqual([
      ['local', 'model', 'darkroom'],
      ['mock', 'model', 'darkroom'],
    ]);
  });

  it("bad input is OpenAI's 400 error object naming the parameter", async () => {
    const error = await clientFor(h.apiKey)
      .images.generate({ prompt: 'too many', n: 33 })
      .catch((e: unknown) => e);
    const unknownModel = await clientFor(h.apiKey)
      .images.generate({ prompt: 'which one', model: 'dall-e-3' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'n', type: 'invalid_request_error' });
    expect(unknownModel).toMatchObject({ status: 400, param: 'model', type: 'invalid_request_error' });
    expect((unknownModel as Error).message).toContain('local, mock');
  });

  it('a wrong API key is an AuthenticationError with code invalid_api_key', async () => {
    const error = await clientFor('dk_00000000_not-a-real-key-at-all')
      .models.list()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('an empty balance is 429 insufficient_quota, which the SDK does not retry', async () => {
    const broke = await h.makeUser('broke@darkroom.test');
    await h.db.user.update({ where: { id: broke.user.id }, data: { creditBalance: 0 } });

    const error = await clientFor(broke.apiKey)
      .images.generate({ prompt: 'on credit' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(await h.db.job.count({ where: { userId: broke.user.id } })).toBe(0);
  });
});

describe('the wait limit', () => {
  it('a job that outlasts the wait is canceled and answered with a 504 timeout error object', async () => {
    const patient = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      webDistDir: h.storageDir,
      logLevel: 'silent',
      openAiWaitSeconds: 1,
    });
    await patient.listen({ host: '127.0.0.1', port: 0 });
    try {
      const openai = new OpenAI({
        apiKey: h.apiKey,
        baseURL: `http://127.0.0.1:${(patient.server.address() as { port: number }).port}/v1`,
      });
      // The mock provider of this file's worker takes 4 s per image.
      const error = await openai.images.generate({ prompt: 'slow going', model: 'mock' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error).toMatchObject({ status: 504, code: 'timeout' });
      const jobId = /job ([0-9a-f-]{36})/.exec((error as Error).message)![1]!;
      const job = await eventually(async () => {
        const view = await h.caller.jobs.get({ id: jobId });
        return view.status === 'canceled' ? view : null;
      });
      expect(job.provider).toBe('mock');
    } finally {
      await patient.close();
    }
  });
});
