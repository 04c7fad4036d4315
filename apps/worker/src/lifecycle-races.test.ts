/**
 * The races at the lifecycle's seams (issue 14, point 9), each against a real Postgres. Every test here
 * failed on the code before packages/db's lifecycle module (the note says which fix each one shows).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lifecycle, type Tx } from '@darkroom/db';
import { createTestDatabase, makeJob, type TestDatabase } from '@darkroom/db/testing';
import { createLocalProvider, ProviderError, type GenerateRequest, type ImageProvider } from '@darkroom/providers';
import { createFilesystemStorage, type ImageStorage } from '@darkroom/storage';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './env.js';
import { runJob, SupersededError, type PipelineDeps } from './pipeline.js';
import { startWorker } from './start.js';

let database: TestDatabase;
let userId: string;
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-races-'));
const storage = createFilesystemStorage({ root: storageDir });
const PRICE = 10;
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'races@example.com', creditBalance: 1000 } })).id;
});
afterAll(() => database.drop());

/** A queued job holding numImages x PRICE credits, with its queue entry: a submit's, through lifecycle's accept. */
async function queuedJob(numImages: number, extra: { runTimeoutSeconds?: number } = {}) {
  return makeJob({
    db: database.db,
    user: { id: userId },
    request: { prompt: 'a race', numImages, ...extra },
    prices: { local: PRICE },
  });
}

/** A provider whose calls wait on the test: `gate(n)` resolves call n's answer. Each call's signal is kept. */
function gatedProvider() {
  const local = createLocalProvider();
  const calls: Array<{ request: GenerateRequest; release: () => void }> = [];
  const waiting: Array<() => void> = [];
  const provider: ImageProvider = {
    ...local,
    async generate(request) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      calls.push({ request, release });
      waiting.splice(0).forEach((wake) => wake());
      await new Promise<void>((resolve, reject) => {
        void released.then(resolve);
        request.signal?.addEventListener('abort', () => reject(new ProviderError('canceled', 'aborted')), {
          once: true,
        });
      });
      return local.generate(request);
    },
  };
  const called = async (n: number) => {
    while (calls.length < n) await new Promise<void>((resolve) => waiting.push(resolve));
    return calls[n - 1]!;
  };
  return { provider, calls, called };
}

function deps(provider: ImageProvider, extra: Partial<PipelineDeps> = {}): PipelineDeps {
  return {
    db: database.db,
    storage,
    providerFor: () => provider,
    log: pino({ level: 'silent' }),
    workerId: 'races',
    imageConcurrency: 1,
    ...extra,
  };
}

/** Resolves once some session of this database waits on a lock (a statement blocked behind the test's transaction). */
async function untilBlockedOnLock() {
  for (let i = 0; i < 1000; i++) {
    const [row] = await database.db.$queryRaw<[{ n: number }]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    if (row.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no statement blocked on the lock within 10 s');
}

async function finishedEvents(jobId: string) {
  return database.db.jobEvent.findMany({ where: { jobId, type: 'finished' } });
}

describe('an end racing a run', () => {
  it('an image finishing after its job was failed elsewhere is not stored: no free image, one finished event, credits all refunded', async () => {
    const job = await queuedJob(1);
    const { provider, called } = gatedProvider();
    const balanceBefore = (await database.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance;
    const running = runJob(deps(provider), job.id);
    const call = await called(1);
    // The sweep (or a last-attempt failure) ends the job while the vendor is still working on its image.
    await lifecycle.endJob(database.db, job.id, {
      kind: 'fail',
      error: { code: 'abandoned', message: 'ended by the sweep', retryable: true },
    });
    call.release();

    expect(await running).toEqual({ kind: 'finished' });
    const after = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(after.status).toBe('failed');
    expect(after.images[0]!.status).not.toBe('succeeded');
    expect(after.creditsCharged).toBe(0);
    expect(await finishedEvents(job.id)).toHaveLength(1);
    expect((await database.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance).toBe(
      balanceBefore + PRICE,
    );
  });

  it('a store that meets an end in progress waits for it, then sees the job ended and writes nothing', async () => {
    const job = await queuedJob(1);
    const { provider, called } = gatedProvider();
    const running = runJob(deps(provider), job.id);
    const call = await called(1);
    await database.db.$transaction(
      async (tx: Tx) => {
        // The end holds the job row; the run's store statement is released into it and must block.
        await lifecycle.endJobIn(tx, job.id, {
          kind: 'fail',
          error: { code: 'abandoned', message: 'ended by the sweep', retryable: true },
        });
        call.release();
        await untilBlockedOnLock();
      },
      { timeout: 20_000 },
    );

    expect(await running).toEqual({ kind: 'finished' });
    const after = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(after.status).toBe('failed');
    expect(after.images[0]!.status).toBe('canceled');
    expect(after.creditsCharged).toBe(0);
  });

  it('when one image lane breaks, its sibling stops too and no further image is started', async () => {
    const job = await queuedJob(3);
    const { provider, calls, called } = gatedProvider();
    const running = runJob(deps(provider, { imageConcurrency: 2 }), job.id);
    const first = await called(1);
    const second = await called(2);
    // Another worker takes the job over (this one was declared dead): the first lane's store is fenced out.
    await database.db.job.update({ where: { id: job.id }, data: { attempts: { increment: 1 } } });
    first.release();

    await expect(running).rejects.toBeInstanceOf(SupersededError);
    expect(second.request.signal?.aborted).toBe(true);
    expect(calls).toHaveLength(2);
  });
});

describe('shutdown', () => {
  it('images stopped by a shutdown are pending at once, so a kill before the hand-back loses none of them', async () => {
    const job = await queuedJob(2);
    const { provider, called } = gatedProvider();
    const shutdown = new AbortController();
    const running = runJob(deps(provider, { imageConcurrency: 2, shutdownSignal: shutdown.signal }), job.id);
    await called(2);
    let statuses: string[] = [];
    await database.db.$transaction(
      async (tx: Tx) => {
        // Hold the job row, so the hand-back (release) blocks: what the images say now is what a
        // SIGKILL at this moment would leave.
        await tx.$queryRaw`select id from jobs where id = ${job.id}::uuid for update`;
        shutdown.abort('shutdown');
        await untilBlockedOnLock();
        statuses = (await database.db.image.findMany({ where: { jobId: job.id }, orderBy: { index: 'asc' } })).map(
          (image) => image.status,
        );
        // The kill: recovery released the job and another worker's claim moved it on.
        await tx.$executeRaw`update jobs set attempts = attempts + 1 where id = ${job.id}::uuid`;
      },
      { timeout: 20_000 },
    );
    await expect(running).rejects.toBeInstanceOf(SupersededError);
    expect(statuses).toEqual(['pending', 'pending']);

    // The resumed run makes both images.
    const next = createLocalProvider();
    await runJob(deps(next, { workerId: 'resumer' }), job.id);
    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id }, include: { images: true } });
    expect(done.status).toBe('succeeded');
    expect(done.images.map((image) => image.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('a released job waits with no run deadline, and its next claim gets a fresh one', async () => {
    const job = await queuedJob(1, { runTimeoutSeconds: 60 });
    const { provider, called } = gatedProvider();
    const shutdown = new AbortController();
    const running = runJob(deps(provider, { shutdownSignal: shutdown.signal }), job.id);
    await called(1);
    const firstDeadline = (await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).deadline!;
    shutdown.abort('shutdown');
    expect(await running).toMatchObject({ kind: 'released' });
    expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).deadline).toBeNull();

    // It waited in the queue past its first claim's deadline.
    await database.db
      .$executeRaw`update jobs set created_at = created_at - interval '1 hour' where id = ${job.id}::uuid`;
    const claimedAt = Date.now();
    const second = gatedProvider();
    const again = runJob(deps(second.provider, { workerId: 'next' }), job.id);
    await second.called(1);
    const secondDeadline = (await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).deadline!;
    expect(secondDeadline.getTime()).toBeGreaterThan(firstDeadline.getTime());
    expect(secondDeadline.getTime()).toBeGreaterThanOrEqual(claimedAt + 59_000);
    second.calls[0]!.release();
    await again;
    expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('succeeded');
  });
});

describe('storing what was paid for', () => {
  it('a storage error after the vendor answered retries the store, never the vendor', async () => {
    const job = await queuedJob(1);
    let failures = 1;
    const flaky: ImageStorage = {
      ...storage,
      async put(key, body, mime) {
        if (failures-- > 0) throw new Error('EIO: the disk hiccuped');
        return storage.put(key, body, mime);
      },
    };
    let vendorCalls = 0;
    const local = createLocalProvider();
    const counting: ImageProvider = { ...local, generate: (request) => (vendorCalls++, local.generate(request)) };
    await runJob(
      deps(counting, { storage: flaky, storeRetry: { maxAttempts: 4, baseMs: 1, capMs: 5, maxRetryAfterMs: 5 } }),
      job.id,
    );

    const done = await database.db.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { images: true, events: true },
    });
    expect(done.status).toBe('succeeded');
    expect(vendorCalls).toBe(1);
    expect(await storage.stat(done.images[0]!.storageKey!)).not.toBeNull();
    expect(done.events.map((event) => event.type)).toContain('store_retry');
  });
});

describe('the sweep', () => {
  it('ends a running job whose worker vanished, past its run deadline: failed abandoned, credits refunded, webhook-ready', async () => {
    const job = await queuedJob(2);
    expect((await lifecycle.claimJob(database.db, job.id, 'gone', 0)).outcome).toBe('run');
    await database.db
      .$executeRaw`update jobs set deadline = now() - interval '2 minutes', updated_at = now() - interval '2 minutes' where id = ${job.id}::uuid`;
    const balanceBefore = (await database.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance;

    const ended = await lifecycle.endAbandonedJobs(database.db, { graceSeconds: 30 });

    expect(ended.map((end) => end.id)).toContain(job.id);
    const after = await database.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after).toMatchObject({ status: 'failed', errorCode: 'abandoned', creditsReserved: 0 });
    expect((await database.db.user.findUniqueOrThrow({ where: { id: userId } })).creditBalance).toBe(
      balanceBefore + 2 * PRICE,
    );
    const [finished] = await finishedEvents(job.id);
    expect(finished!.data).toMatchObject({
      status: 'failed',
      code: 'abandoned',
      credits: { charged: 0, refunded: 2 * PRICE },
    });
  });

  it('ends a queued job whose queue entry ran out of attempts (repeated worker deaths), and leaves others alone', async () => {
    const stuck = await queuedJob(1);
    const healthy = await queuedJob(1);
    const fresh = await queuedJob(1);
    await database.db.$executeRaw`
      update graphile_worker._private_jobs set attempts = max_attempts where key = ${stuck.id}::text`;
    await database.db.$executeRaw`
      update jobs set updated_at = now() - interval '5 minutes' where id in (${stuck.id}::uuid, ${healthy.id}::uuid)`;
    // `fresh` lost its entry only a moment ago (a release re-queues it right after its transaction).
    await database.db.$executeRaw`select graphile_worker.remove_job(${fresh.id}::text)`;

    const ended = (await lifecycle.endAbandonedJobs(database.db, { graceSeconds: 30 })).map((end) => end.id);

    expect(ended).toContain(stuck.id);
    expect(ended).not.toContain(healthy.id);
    expect(ended).not.toContain(fresh.id);
    expect(await database.db.job.findUniqueOrThrow({ where: { id: stuck.id } })).toMatchObject({
      status: 'failed',
      errorCode: 'abandoned',
    });
    expect(await database.db.job.findUniqueOrThrow({ where: { id: healthy.id } })).toMatchObject({ status: 'queued' });
  });
});

describe('a job queued twice', () => {
  it('a stale queue entry (cancel, then retry, while a worker held the old one) does not take over the live run', async () => {
    const job = await queuedJob(1);
    // The live run holds the job's own entry.
    await database.db.$executeRaw`
      update graphile_worker._private_jobs set locked_at = now(), locked_by = 'live' where key = ${job.id}::text`;
    const { provider, called } = gatedProvider();
    const live = runJob(deps(provider, { workerId: 'live' }), job.id);
    const call = await called(1);
    // The old entry, whose key graphile-worker cleared when the job was queued again under a new one.
    await database.db
      .$executeRaw`select graphile_worker.add_job('generate', json_build_object('jobId', ${job.id}::text))`;
    const other = await startWorker(
      loadWorkerConfig({
        DATABASE_URL: database.url,
        STORAGE_DIR: storageDir,
        POLL_INTERVAL_MS: '100',
        LOG_LEVEL: 'silent',
        WORKER_ID: 'other',
      }),
    );
    try {
      for (let i = 0; i < 400; i++) {
        const [left] = await database.db.$queryRaw<[{ n: number }]>`
          select count(*)::int as n from graphile_worker._private_jobs where key is null and payload->>'jobId' = ${job.id}`;
        if (left.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      call.release();
      expect(await live).toEqual({ kind: 'finished' });
    } finally {
      await other.stop();
    }
    const done = await database.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});
