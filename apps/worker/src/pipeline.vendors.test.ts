/**
 * The worker against real vendor adapters talking to fake vendor servers on 127.0.0.1: the request id
 * is recorded before waiting, a worker taking over resumes it instead of paying twice, and one job per
 * vendor runs end to end, with the image kept after the vendor deletes its copy.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findJobView } from '@darkroom/db';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import {
  createFalProvider,
  createOpenAIProvider,
  createReplicateProvider,
  createStabilityProvider,
  type ImageProvider,
} from '@darkroom/providers';
import {
  startFakeFal,
  startFakeOpenAI,
  startFakeReplicate,
  startFakeStability,
  until,
  type FakeFal,
  type FakeOpenAI,
  type FakeReplicate,
  type FakeStability,
} from '@darkroom/providers/testing';
import { createFilesystemStorage, createS3Storage } from '@darkroom/storage';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './env.js';
import { runJob, type PipelineDeps } from './pipeline.js';
import { makeProviderRegistry } from './providers.js';

const OPENAI_KEY = 'sk-worker-test-0123456789';
const REPLICATE_KEY = 'r8_worker_test_0123456789';
const FAL_KEY = 'fal-worker-test:0123456789';
const STABILITY_KEY = 'sk-stability-worker-0123456789';
let database: TestDatabase;
let fal: FakeFal;
let stability: FakeStability;
let userId: string;
let openai: FakeOpenAI;
let replicate: FakeReplicate;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-vendors-test-')) });

beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'vendors@example.com' } })).id;
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  replicate = await startFakeReplicate({ apiKey: REPLICATE_KEY });
  fal = await startFakeFal({ apiKey: FAL_KEY, queueAhead: 2 });
  stability = await startFakeStability({ apiKey: STABILITY_KEY });
});
afterAll(async () => {
  await fal.close();
  await stability.close();
  await openai.close();
  await replicate.close();
  await database.drop();
});

const replicateAdapter = () =>
  createReplicateProvider({ apiKey: REPLICATE_KEY, baseUrl: replicate.url, pollIntervalMs: 5 });
const falAdapter = () =>
  createFalProvider({ apiKey: FAL_KEY, baseUrl: fal.url, model: 'fal-ai/flux/schnell', pollIntervalMs: 5 });

async function queuedJob(provider: string, prompt = 'a quiet harbour', outputFormat = 'png') {
  return database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt,
      aspectRatio: '1:1',
      width: 512,
      height: 512,
      provider,
      numImages: 1,
      outputFormat,
      images: { create: [{ index: 0 }] },
    },
  });
}

function deps(provider: ImageProvider, extra: Partial<PipelineDeps> = {}): PipelineDeps {
  return {
    db: database.db,
    storage,
    providerFor: () => provider,
    log: pino({ level: 'silent' }),
    workerId: 'vendors-test',
    imageConcurrency: 1,
    ...extra,
  };
}

const imageOf = (jobId: string) => database.db.image.findFirstOrThrow({ where: { jobId } });

describe('runJob with queued vendors', () => {
  it('records the request id before waiting for the result, and cancel reaches the vendor', async () => {
    const job = await queuedJob('replicate', 'hold the pose');
    const running = runJob(deps(replicateAdapter(), { cancelCheckMs: 20 }), job.id);
    await until(() => replicate.requests.some((r) => r.method === 'GET' && r.path.startsWith('/v1/predictions/')));

    const recorded = (await imageOf(job.id)).providerRequestId;
    await database.db.job.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });
    await running;

    expect(recorded).toMatch(/^[0-9a-f]{26}$/);
    expect(replicate.canceled).toContain(recorded);
    expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('canceled');
  });

  it('resumes the recorded request after a crash: the vendor sees exactly one create', async () => {
    const job = await queuedJob('replicate', 'a lighthouse, resumed');
    // The first worker submitted, recorded the id, and died while waiting.
    const creates = replicate.creates;
    const requestId = await replicateAdapter().submit!({
      prompt: 'a lighthouse, resumed',
      preset: 'illustration',
      width: 512,
      height: 512,
      seed: 1,
    });
    await database.db.job.update({
      where: { id: job.id },
      data: { status: 'running', startedAt: new Date(), attempts: 1, seed: 1 },
    });
    await database.db.image.update({
      where: { id: (await imageOf(job.id)).id },
      data: { status: 'running', attempts: 1, startedAt: new Date(), providerRequestId: requestId },
    });

    await runJob(deps(replicateAdapter()), job.id);

    const image = await imageOf(job.id);
    expect([image.status, image.providerRequestId, image.mime]).toEqual(['succeeded', requestId, 'image/png']);
    expect(replicate.creates - creates).toBe(1);
    expect(
      replicate.requests.filter((r) => r.method === 'GET' && r.path === `/v1/predictions/${requestId}`).length,
    ).toBeGreaterThan(0);
    expect(await storage.stat(image.storageKey!)).toEqual({ bytes: image.bytes, contentType: 'image/png' });
  });

  it('submits anew when the recorded request is gone at the vendor', async () => {
    const job = await queuedJob('replicate', 'a forgotten request');
    const stale = await replicateAdapter().submit!({
      prompt: 'a forgotten request',
      preset: 'illustration',
      width: 512,
      height: 512,
      seed: 1,
    });
    replicate.forgetPredictions();
    await database.db.image.update({ where: { id: (await imageOf(job.id)).id }, data: { providerRequestId: stale } });
    const creates = replicate.creates;

    await runJob(deps(replicateAdapter()), job.id);

    const image = await imageOf(job.id);
    expect(image.status).toBe('succeeded');
    expect(image.providerRequestId).not.toBe(stale);
    expect(replicate.creates - creates).toBe(1);
  });
});

describe('one job per vendor, end to end', () => {
  // Each starts its own fake, since expiring the vendor's copies would spoil the shared one.
  const vendors = {
    openai: async () => {
      const fake = await startFakeOpenAI({ apiKey: OPENAI_KEY });
      return {
        fake,
        adapter: createOpenAIProvider({
          apiKey: OPENAI_KEY,
          baseUrl: fake.baseUrl,
          model: 'dall-e-3',
          responseFormat: 'url',
        }),
        expire: () => fake.expireUrls(),
      };
    },
    replicate: async () => {
      const fake = await startFakeReplicate({ apiKey: REPLICATE_KEY });
      return {
        fake,
        adapter: createReplicateProvider({ apiKey: REPLICATE_KEY, baseUrl: fake.url, pollIntervalMs: 5 }),
        expire: () => fake.expireOutputs(),
      };
    },
    fal: async () => {
      const fake = await startFakeFal({ apiKey: FAL_KEY });
      return {
        fake,
        adapter: createFalProvider({ apiKey: FAL_KEY, baseUrl: fake.url, pollIntervalMs: 5 }),
        expire: () => fake.expireFiles(),
      };
    },
    stability: async () => {
      const fake = await startFakeStability({ apiKey: STABILITY_KEY });
      return {
        fake,
        adapter: createStabilityProvider({ apiKey: STABILITY_KEY, baseUrl: fake.url, pollIntervalMs: 5 }),
        expire: () => fake.expireResults(),
      };
    },
  };

  it.each(Object.keys(vendors) as (keyof typeof vendors)[])(
    '%s: the job succeeds and its image outlives the vendor copy',
    async (name) => {
      const { fake, adapter, expire } = await vendors[name]();
      try {
        const job = await queuedJob(name);

        await runJob(deps(adapter), job.id);
        expire();

        const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
        expect(done.status).toBe('succeeded');
        const image = done.images[0]!;
        expect(image.providerRequestId).toBeTruthy();
        const stored = await storage.get(image.storageKey!);
        expect([stored?.contentType, stored?.bytes]).toEqual(['image/png', image.bytes]);
        expect([image.thumbnailKey, (await storage.stat(image.thumbnailKey!))?.contentType]).toEqual([
          `jobs/${job.id}/0-1.thumb.webp`,
          'image/webp',
        ]);
      } finally {
        await fake.close();
      }
    },
  );

  it('replicate into S3: the stored image is served from the bucket after Replicate deleted its output', async () => {
    const s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: mkdtempSync(path.join(os.tmpdir(), 'darkroom-worker-s3-')),
      configureBuckets: [{ name: 'images', configs: [] }],
    });
    const { port } = (await s3.run()) as AddressInfo;
    const bucket = createS3Storage({
      bucket: 'images',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const { fake, adapter, expire } = await vendors.replicate();
    try {
      const job = await queuedJob('replicate', 'kept in a bucket');

      await runJob(deps(adapter, { storage: bucket }), job.id);
      expire();

      const image = await imageOf(job.id);
      const served = await fetch(`http://127.0.0.1:${port}/images/${image.storageKey}`);
      expect([image.status, served.status, served.headers.get('content-type')]).toEqual([
        'succeeded',
        200,
        'image/png',
      ]);
      expect((await served.arrayBuffer()).byteLength).toBe(image.bytes);
      expect((await fetch(`${fake.url}/output/${image.providerRequestId}.png`)).status).toBe(404);
    } finally {
      await fake.close();
      await bucket.close?.();
      await s3.close();
    }
  });

  it('fails the job with auth when the vendor refuses the key, and the key appears in no view and no log line', async () => {
    const job = await queuedJob('openai');
    const wrongKey = 'sk-wrong-worker-key-987654321';
    const lines: string[] = [];
    const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const config = loadWorkerConfig({
      PROVIDERS_ENABLED: 'local,openai',
      OPENAI_API_KEY: wrongKey,
      OPENAI_BASE_URL: openai.baseUrl,
    });
    // What an operator might well log at start.
    log.info({ config }, 'worker configuration');

    await runJob(deps(makeProviderRegistry(config).providerFor('openai'), { log }), job.id);

    const view = await findJobView(database.db, { userId, jobId: job.id });
    expect([view?.status, view?.error?.code, view?.images[0]?.error?.code]).toEqual(['failed', 'auth', 'auth']);
    const events = await database.db.jobEvent.findMany({ where: { jobId: job.id } });
    expect(
      JSON.stringify({ view, events }, (_key, value) => (typeof value === 'bigint' ? String(value) : value)),
    ).not.toContain(wrongKey);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(wrongKey);
  });

  it('fal: the queue position is on the job timeline, and the run deadline went out as the start timeout', async () => {
    const job = await queuedJob('fal', 'a queued kite');

    await runJob(deps(falAdapter()), job.id);

    const statuses = await database.db.jobEvent.findMany({
      where: { jobId: job.id, type: 'provider_status' },
      orderBy: { id: 'asc' },
    });
    expect(statuses.map((event) => event.data)).toEqual([
      { index: 0, provider: 'fal', state: 'queued', queuePosition: 2 },
      { index: 0, provider: 'fal', state: 'queued', queuePosition: 1 },
      { index: 0, provider: 'fal', state: 'queued', queuePosition: 0 },
      { index: 0, provider: 'fal', state: 'running' },
    ]);
    // The job's default run timeout is 600 s; the header carries what is left of it.
    expect(Number(fal.requestTimeouts.at(-1))).toBeGreaterThan(500);
    expect(Number(fal.requestTimeouts.at(-1))).toBeLessThanOrEqual(600);
  });
});

describe('output formats as the job asks', () => {
  // What each vendor was asked to make, read from the request the fake server received.
  const asked = {
    openai: () => JSON.parse(openai.requests.at(-1)!.body.toString()).output_format,
    fal: () =>
      JSON.parse(fal.requests.find((r) => r.method === 'POST' && r.body.includes('webp picture'))!.body.toString())
        .output_format,
    replicate: () =>
      JSON.parse(
        replicate.requests.find((r) => r.method === 'POST' && r.body.includes('jpeg picture'))!.body.toString(),
      ).input.output_format,
  };

  it.each([
    ['openai makes webp itself', 'openai', 'webp', 'webp', 'image/webp'],
    ['fal makes png, stored as webp', 'fal', 'webp', 'png', 'image/webp'],
    ['replicate makes jpg, stored as jpeg', 'replicate', 'jpeg', 'jpg', 'image/jpeg'],
  ] as const)('%s', async (_name, name, format, vendorFormat, mime) => {
    const adapters = {
      openai: () => createOpenAIProvider({ apiKey: OPENAI_KEY, baseUrl: openai.baseUrl }),
      fal: falAdapter,
      replicate: replicateAdapter,
    };
    const job = await queuedJob(name, `a ${format} picture`, format);

    await runJob(deps(adapters[name]()), job.id);

    const image = await imageOf(job.id);
    const stored = await storage.get(image.storageKey!);
    expect(asked[name]()).toBe(vendorFormat);
    expect([image.status, image.mime, stored?.contentType]).toEqual(['succeeded', mime, mime]);
    expect(image.storageKey).toBe(`jobs/${job.id}/0-1.${format === 'jpeg' ? 'jpg' : format}`);
    expect((await sharp(stored!.body).metadata()).format).toBe(format);
  });
});

describe('fallback when a provider is down', () => {
  it('moves the image to the next provider in the fallback order, and resumes it there after a crash', async () => {
    const job = await queuedJob('openai', 'a falling leaf');
    const adapters: Record<string, ImageProvider> = {
      openai: createOpenAIProvider({ apiKey: 'sk-revoked-key-000000', baseUrl: openai.baseUrl }),
      replicate: replicateAdapter(),
    };
    const creates = replicate.creates;

    await runJob(
      deps(adapters.openai!, { providerFor: (name) => adapters[name]!, fallbackOrder: ['replicate'] }),
      job.id,
    );

    const image = await imageOf(job.id);
    expect([image.status, image.provider]).toEqual(['succeeded', 'replicate']);
    expect(replicate.creates - creates).toBe(1);
    const fallback = await database.db.jobEvent.findFirstOrThrow({
      where: { jobId: job.id, type: 'provider_fallback' },
    });
    expect(fallback.data).toEqual({ index: 0, from: 'openai', to: 'replicate', reason: 'auth' });
  });

  it('skips a fallback that costs more than the job was priced at, and takes the next that does not', async () => {
    // Priced at 2 per image at submit (openai's price then): replicate at 5 would charge the caller more
    // than they agreed to, fal at 2 does not.
    const job = await queuedJob('openai', 'a priced leaf');
    await database.db.job.update({ where: { id: job.id }, data: { creditPrice: 2 } });
    const adapters: Record<string, ImageProvider> = {
      openai: createOpenAIProvider({ apiKey: 'sk-revoked-key-000000', baseUrl: openai.baseUrl }),
      replicate: replicateAdapter(),
      fal: falAdapter(),
    };
    const prices: Record<string, number> = { openai: 2, replicate: 5, fal: 2 };
    const [creates, submits] = [replicate.creates, fal.submits];

    await runJob(
      deps(adapters.openai!, {
        providerFor: (name) => adapters[name]!,
        fallbackOrder: ['replicate', 'fal'],
        priceOf: (name) => prices[name]!,
      }),
      job.id,
    );

    const image = await imageOf(job.id);
    expect([image.status, image.provider]).toEqual(['succeeded', 'fal']);
    expect([replicate.creates - creates, fal.submits - submits]).toEqual([0, 1]);
  });

  it('fails the image rather than fall back to a provider that costs more', async () => {
    const job = await queuedJob('openai', 'an expensive leaf');
    await database.db.job.update({ where: { id: job.id }, data: { creditPrice: 2 } });
    const adapters: Record<string, ImageProvider> = {
      openai: createOpenAIProvider({ apiKey: 'sk-revoked-key-000000', baseUrl: openai.baseUrl }),
      replicate: replicateAdapter(),
    };
    const creates = replicate.creates;

    await runJob(
      deps(adapters.openai!, {
        providerFor: (name) => adapters[name]!,
        fallbackOrder: ['replicate'],
        priceOf: (name) => (name === 'replicate' ? 3 : 2),
      }),
      job.id,
    );

    const image = await imageOf(job.id);
    expect([image.status, image.errorCode, image.provider]).toEqual(['failed', 'auth', null]);
    expect(replicate.creates - creates).toBe(0);
  });

  it('a resumed image stays with the provider that holds its request', async () => {
    const job = await queuedJob('openai', 'resumed on the fallback');
    const requestId = await replicateAdapter().submit!({
      prompt: 'resumed on the fallback',
      preset: 'illustration',
      width: 512,
      height: 512,
      seed: 1,
    });
    await database.db.image.update({
      where: { id: (await imageOf(job.id)).id },
      data: {
        status: 'running',
        attempts: 1,
        startedAt: new Date(),
        provider: 'replicate',
        providerRequestId: requestId,
      },
    });
    const adapters: Record<string, ImageProvider> = {
      openai: createOpenAIProvider({ apiKey: OPENAI_KEY, baseUrl: openai.baseUrl }),
      replicate: replicateAdapter(),
    };
    const generations = openai.generations;
    const creates = replicate.creates;

    await runJob(
      deps(adapters.openai!, { providerFor: (name) => adapters[name]!, fallbackOrder: ['replicate'] }),
      job.id,
    );

    const image = await imageOf(job.id);
    expect([image.status, image.providerRequestId]).toEqual(['succeeded', requestId]);
    expect([openai.generations - generations, replicate.creates - creates]).toEqual([0, 0]);
  });

  it('fails a job naming a provider not enabled here provider_unavailable; nothing stands in for it', async () => {
    const job = await queuedJob('openai', 'nobody here speaks openai');
    const registry = makeProviderRegistry(loadWorkerConfig({ PROVIDERS_ENABLED: 'local,mock' }));
    const generations = openai.generations;

    await runJob(
      deps(createOpenAIProvider({ apiKey: OPENAI_KEY, baseUrl: openai.baseUrl }), {
        providerFor: registry.providerFor,
        isEnabled: registry.isEnabled,
      }),
      job.id,
    );

    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect([done.status, done.errorCode]).toEqual(['failed', 'provider_unavailable']);
    expect([(await imageOf(job.id)).status, openai.generations - generations]).toEqual(['canceled', 0]);
  });

  it('fails provider_unavailable when an unfinished image was moved to a provider not enabled here', async () => {
    const job = await queuedJob('local', 'moved by an earlier fallback');
    // An earlier run (claim 1) moved the image to fal, then handed the job back.
    await database.db.job.update({ where: { id: job.id }, data: { attempts: 1 } });
    await database.db.image.updateMany({ where: { jobId: job.id }, data: { provider: 'fal' } });
    const registry = makeProviderRegistry(loadWorkerConfig({ PROVIDERS_ENABLED: 'local,mock' }));
    const submits = fal.submits;

    await runJob(deps(falAdapter(), { providerFor: registry.providerFor, isEnabled: registry.isEnabled }), job.id);

    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect([done.status, done.errorCode, done.errorMessage]).toEqual([
      'failed',
      'provider_unavailable',
      'provider fal is not enabled on the worker that took this job',
    ]);
    expect(fal.submits - submits).toBe(0);
  });

  it('does not fall back on a refusal of the prompt itself', async () => {
    const job = await queuedJob('replicate', 'something forbidden');
    const adapters: Record<string, ImageProvider> = { replicate: replicateAdapter(), fal: falAdapter() };
    const submits = fal.submits;

    await runJob(deps(adapters.replicate!, { providerFor: (name) => adapters[name]!, fallbackOrder: ['fal'] }), job.id);

    const image = await imageOf(job.id);
    expect([image.status, image.errorCode, image.provider]).toEqual(['failed', 'content_filtered', null]);
    expect(fal.submits - submits).toBe(0);
  });
});

describe('a misbehaving vendor fails the image with a code, and the worker goes on', () => {
  // A short timeout only where silence is the point; elsewhere it must never be what ends the call.
  const openaiAdapter = (timeoutMs = 30_000) =>
    createOpenAIProvider({ apiKey: OPENAI_KEY, baseUrl: openai.baseUrl, timeoutMs, maxBytes: 200_000 });

  it('honours the retry-after of a 429 and then succeeds', async () => {
    const job = await queuedJob('openai', 'after a pause');
    openai.replyOnce('POST', /images\/generations/, {
      status: 429,
      headers: { 'retry-after-ms': '40' },
      json: {
        error: {
          message: 'Rate limit reached for images per minute',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      },
    });

    await runJob(deps(openaiAdapter()), job.id);

    const retry = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: job.id, type: 'retry_scheduled' } });
    expect(retry.data).toEqual({ index: 0, attempt: 1, delayMs: 40, reason: 'rate_limited' });
    expect((await imageOf(job.id)).status).toBe('succeeded');
  });

  it.each([
    [
      'malformed JSON',
      { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data": [' },
      'transient',
    ],
    ['an unexpected status', { status: 418, body: 'teapot' }, 'invalid_request'],
    ['a huge body', { status: 200, body: Buffer.alloc(400_000, 65) }, 'transient'],
    ['a redirect loop', { status: 307, headers: { location: '/v1/images/generations' } }, 'transient'],
    ['nothing at all', { hang: true }, 'timeout'],
    ['a reset connection', { reset: true }, 'transient'],
  ] as const)('%s', async (_name, reply, code) => {
    const job = await queuedJob('openai', 'a vendor having a bad day');
    // fetch follows 20 redirects and fails on the 21st answer: exactly that many copies, none left over.
    const copies = 'status' in reply && reply.status === 307 ? 21 : 1;
    for (let i = 0; i < copies; i++) openai.replyOnce('POST', /images\/generations/, reply);

    await runJob(deps(openaiAdapter('hang' in reply ? 300 : 30_000), { maxImageAttempts: 1 }), job.id);

    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect([done.status, done.images[0]!.errorCode]).toEqual(['failed', code]);
    // The same worker runs the next job normally.
    const next = await queuedJob('openai', 'the next job');
    await runJob(deps(openaiAdapter()), next.id);
    expect((await database.db.job.findUniqueOrThrow({ where: { id: next.id } })).status).toBe('succeeded');
  });
});
