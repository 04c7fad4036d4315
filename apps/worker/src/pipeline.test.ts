import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createLocalProvider, ProviderError, type GenerateRequest, type ImageProvider } from '@darkroom/providers';
import { createFilesystemStorage, imageKey, thumbnailKey } from '@darkroom/storage';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, SupersededError, type PipelineDeps } from './pipeline.js';

let database: TestDatabase;
let userId: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-worker-test-')) });
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'worker-test@example.com' } })).id;
});
afterAll(() => database.drop());

/** A job as the API inserts it (the API's own tests cover that path). */
async function queuedJob(numImages: number, prompt = 'a test scene') {
  return database.db.job.create({
    data: {
      userId,
      preset: 'illustration',
      prompt,
      aspectRatio: '1:1',
      width: 256,
      height: 256,
      provider: 'local',
      numImages,
      images: { create: Array.from({ length: numImages }, (_, index) => ({ index })) },
    },
  });
}

/**
 * The local provider behind a script of what the "vendor" does on each call: succeed, throw, or hang
 * until aborted. Counts calls the way a vendor's bill would.
 */
function scriptedProvider(script: (call: number, request: GenerateRequest) => 'ok' | 'hang' | ProviderError) {
  const local = createLocalProvider();
  const calls: GenerateRequest[] = [];
  const provider: ImageProvider = {
    ...local,
    async generate(request) {
      calls.push(request);
      const step = script(calls.length, request);
      if (step instanceof ProviderError) throw step;
      if (step === 'hang') {
        await new Promise((_, reject) =>
          request.signal?.addEventListener('abort', () => reject(new ProviderError('canceled', 'aborted'))),
        );
      }
      return local.generate(request);
    },
  };
  return { provider, calls };
}

function deps(provider: ImageProvider, extra: Partial<PipelineDeps> = {}): PipelineDeps {
  return {
    db: database.db,
    storage,
    providerFor: () => provider,
    log: pino({ level: 'silent' }),
    workerId: 'test',
    imageConcurrency: 1,
    ...extra,
  };
}

describe('runJob', () => {
  it('resumes a half-done job without regenerating the images already stored', async () => {
    const job = await queuedJob(4);
    // A previous run stored image 0 and died.
    const first = await createLocalProvider().generate({
      prompt: 'x',
      preset: 'illustration',
      width: 256,
      height: 256,
      seed: 1,
    });
    await storage.put(imageKey(job.id, 0), first.bytes, 'image/png');
    await database.db.job.update({
      where: { id: job.id },
      data: { status: 'running', startedAt: new Date(), attempts: 1, seed: 5 },
    });
    await database.db.image.update({
      where: { jobId_index: { jobId: job.id, index: 0 } },
      data: {
        status: 'succeeded',
        storageKey: imageKey(job.id, 0),
        mime: 'image/png',
        width: 256,
        height: 256,
        bytes: first.bytes.length,
        attempts: 1,
        finishedAt: new Date(),
      },
    });
    const { provider, calls } = scriptedProvider(() => 'ok');

    await runJob(deps(provider), job.id);

    const done = await database.db.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { images: { orderBy: { index: 'asc' } } },
    });
    expect(done.status).toBe('succeeded');
    expect(calls).toHaveLength(3);
    expect(done.images.map((image) => [image.status, image.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
    expect((await storage.get(imageKey(job.id, 0)))!.body.equals(first.bytes)).toBe(true);
  });

  it('retries a transient error with backoff and records why', async () => {
    const job = await queuedJob(1);
    const { provider, calls } = scriptedProvider((call) =>
      call === 1 ? new ProviderError('rate_limited', 'slow down', 20) : 'ok',
    );

    await runJob(deps(provider), job.id);

    const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
    expect(calls).toHaveLength(2);
    expect([image.status, image.attempts]).toEqual(['succeeded', 2]);
    const retry = await database.db.jobEvent.findFirstOrThrow({ where: { jobId: job.id, type: 'retry_scheduled' } });
    expect(retry.data).toMatchObject({ index: 0, attempt: 1, delayMs: 20, reason: 'rate_limited' });
  });

  it('gives up on an image after its 3 attempts when the error keeps coming back', async () => {
    const job = await queuedJob(1);
    const { provider, calls } = scriptedProvider(() => new ProviderError('transient', 'upstream 503'));

    await runJob(deps(provider), job.id);

    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
    expect([done.images[0]!.status, done.images[0]!.attempts, done.images[0]!.errorCode]).toEqual([
      'failed',
      3,
      'transient',
    ]);
    expect(done.status).toBe('failed');
    const retries = await database.db.jobEvent.findMany({ where: { jobId: job.id, type: 'retry_scheduled' } });
    expect(retries.map((event) => (event.data as { attempt: number }).attempt)).toEqual([1, 2]);
  });

  it('fails an image at once on a permanent error, and the job when no image succeeded', async () => {
    const job = await queuedJob(2);
    const { provider, calls } = scriptedProvider(
      () => new ProviderError('content_filtered', 'the vendor refused the prompt'),
    );

    await runJob(deps(provider), job.id);

    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(calls).toHaveLength(2);
    expect(done.images.map((image) => [image.status, image.errorCode, image.attempts])).toEqual([
      ['failed', 'content_filtered', 1],
      ['failed', 'content_filtered', 1],
    ]);
    expect([done.status, done.errorCode, done.errorRetryable]).toEqual(['failed', 'content_filtered', false]);
  });

  it("keeps an internal failure's text (paths, SQL) out of the job's errors and events, and in the log", async () => {
    const job = await queuedJob(1, 'a doomed store');
    const secret =
      "ENOSPC: no space left on device, open '/srv/darkroom/images/tenant-42/x.png.tmp' (select * from jobs)";
    const broken = { ...storage, put: async () => Promise.reject(new Error(secret)) };
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const { provider } = scriptedProvider(() => 'ok');

    await runJob({ ...deps(provider), storage: broken, log }, job.id);

    const done = await database.db.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { images: true, events: true },
    });
    expect([done.status, done.errorCode, done.images[0]!.errorCode]).toEqual(['failed', 'internal', 'internal']);
    const visible = JSON.stringify({
      job: done.errorMessage,
      image: done.images[0]!.errorMessage,
      events: done.events.map((event) => event.data),
    });
    expect(visible).not.toMatch(/ENOSPC|\/srv\/darkroom|select \*/);
    expect(visible).toContain('something went wrong inside Darkroom');
    expect(lines.join('\n')).toContain('ENOSPC');
  });

  it('finishes succeeded with partial counts when only some images fail', async () => {
    const job = await queuedJob(3);
    const failing = scriptedProvider((call) => (call === 2 ? new ProviderError('invalid_request', 'bad size') : 'ok'));

    await runJob(deps(failing.provider), job.id);

    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(done.status).toBe('succeeded');
    expect(done.images.filter((image) => image.status === 'succeeded')).toHaveLength(2);
    expect(done.images.filter((image) => image.status === 'failed')).toHaveLength(1);
    expect(done.progress).toBe(100);
  });

  it('stops a running job soon after cancel is requested, keeping the images already stored', async () => {
    const job = await queuedJob(3);
    const { provider, calls } = scriptedProvider((call) => (call === 1 ? 'ok' : 'hang'));
    const running = runJob(deps(provider, { cancelCheckMs: 50 }), job.id);
    // Wait until the second image is in flight, then cancel.
    for (let i = 0; i < 200 && calls.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await database.db.job.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });

    await running;

    const done = await database.db.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { images: { orderBy: { index: 'asc' } } },
    });
    expect(done.status).toBe('canceled');
    expect(done.images.map((image) => image.status)).toEqual(['succeeded', 'canceled', 'canceled']);
    expect(calls).toHaveLength(2);
    expect(await storage.stat(done.images[0]!.storageKey!)).not.toBeNull();
  });

  it('hands a job back to the queue when the shutdown grace ends, and the next run makes only the missing images', async () => {
    const job = await queuedJob(3);
    const { provider, calls } = scriptedProvider((call) => (call === 1 ? 'ok' : 'hang'));
    const shutdown = new AbortController();
    const running = runJob(deps(provider, { shutdownSignal: shutdown.signal }), job.id);
    for (let i = 0; i < 200 && calls.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    shutdown.abort('shutdown');

    const outcome = await running;

    expect(outcome).toEqual({ kind: 'released', queueRank: job.queueRank });
    const released = await database.db.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { images: { orderBy: { index: 'asc' } }, events: true },
    });
    expect(released.status).toBe('queued');
    expect(released.images.map((image) => image.status)).toEqual(['succeeded', 'pending', 'pending']);
    expect(released.events.map((event) => event.type)).toContain('released');

    const next = scriptedProvider(() => 'ok');
    await runJob(deps(next.provider, { workerId: 'another' }), job.id);

    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(done.status).toBe('succeeded');
    expect(next.calls).toHaveLength(2);
    expect(done.images.every((image) => image.status === 'succeeded')).toBe(true);
  });

  it('finishes a job canceled during shutdown as canceled instead of handing it back', async () => {
    const job = await queuedJob(2);
    const { provider, calls } = scriptedProvider(() => 'hang');
    const shutdown = new AbortController();
    const running = runJob(deps(provider, { shutdownSignal: shutdown.signal, cancelCheckMs: 60_000 }), job.id);
    for (let i = 0; i < 200 && calls.length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await database.db.job.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });
    shutdown.abort('shutdown');

    expect(await running).toEqual({ kind: 'finished' });
    expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('canceled');
  });

  it('on shutdown finishes the image in flight, starts no other, and hands the job back', async () => {
    const job = await queuedJob(3);
    const drain = new AbortController();
    const { provider, calls } = scriptedProvider((call) => {
      if (call === 1) drain.abort('shutdown');
      return 'ok';
    });

    const outcome = await runJob(deps(provider, { drainSignal: drain.signal }), job.id);

    expect(outcome.kind).toBe('released');
    expect(calls).toHaveLength(1);
    const released = await database.db.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { images: { orderBy: { index: 'asc' } } },
    });
    expect(released.status).toBe('queued');
    expect(released.images.map((image) => image.status)).toEqual(['succeeded', 'pending', 'pending']);
  });
  it('writes nothing more once another worker has claimed the job (a run of a worker declared dead)', async () => {
    const job = await queuedJob(2);
    const local = createLocalProvider();
    let calls = 0;
    // While this run waits for the vendor, another worker claims the job: the claim raises `attempts`.
    const provider: ImageProvider = {
      ...local,
      async generate(request) {
        calls++;
        await database.db.job.update({ where: { id: job.id }, data: { attempts: { increment: 1 } } });
        // ... and stores its own image 0 first (its run is the job's second claim).
        await storage.put(imageKey(job.id, 0, 'png', 2), Buffer.from("the new owner's image"), 'image/png');
        return local.generate(request);
      },
    };
    await expect(runJob(deps(provider), job.id)).rejects.toBeInstanceOf(SupersededError);

    expect(calls).toBe(1);
    const after = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    // Still the other worker's to finish: not ended, nothing recorded as stored by this run, no charge.
    expect(after.status).toBe('running');
    expect(after.images.filter((image) => image.status === 'succeeded')).toEqual([]);
    const types = (await database.db.jobEvent.findMany({ where: { jobId: job.id } })).map((event) => event.type);
    expect(types).not.toContain('image_succeeded');
    expect(types).not.toContain('finished');
    // Its files went with it: each run writes under its own keys, and a fenced-out one removes them.
    expect(await storage.stat(imageKey(job.id, 0, 'png', 1))).toBeNull();
    expect(await storage.stat(thumbnailKey(job.id, 0, 1))).toBeNull();
    // The new owner's file is untouched: its run has its own keys.
    expect((await storage.get(imageKey(job.id, 0, 'png', 2)))!.body.toString()).toBe("the new owner's image");
  });
});
