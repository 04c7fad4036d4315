/**
 * Retention racing a retry (issue 14, point 9): the job just retried must keep its stored images.
 * Before the lifecycle's expire, retention deleted files first and rows after, so a retry landing in
 * between queued a job whose kept images were gone.
 */
import type { ImageStorage } from '@darkroom/storage';
import { deleteExpired } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

describe('retention and retry at once', () => {
  it('a retry landing while retention deletes the job either finds it gone, or keeps every file it kept', async () => {
    const flaky = await h.startWorker({ MOCK_FAILURES: 'content_filtered:0.5', WORKER_ID: 'flaky' });
    const created = await h.caller.jobs.create({
      prompt: 'half of these get refused',
      numImages: 6,
      provider: 'mock',
      seed: 13,
    });
    await eventually(async () => {
      const view = await h.caller.jobs.get({ id: created.id });
      return view.status === 'succeeded' || view.status === 'failed';
    });
    await flaky.stop();
    expect(await h.db.image.count({ where: { jobId: created.id, status: 'succeeded' } })).toBeGreaterThan(0);
    expect(await h.db.image.count({ where: { jobId: created.id, status: 'failed' } })).toBeGreaterThan(0);
    // It ended long ago, as far as retention can tell.
    await h.db.$executeRaw`update jobs set finished_at = now() - interval '10 days' where id = ${created.id}::uuid`;

    let retry: Promise<unknown> | undefined;
    const racing: ImageStorage = {
      ...h.storage,
      async delete(key) {
        // The owner presses Retry while retention is at work on the job's files.
        retry ??= h.caller.jobs.retry({ id: created.id }).then(
          (view) => view,
          (error: unknown) => error,
        );
        await retry;
        return h.storage.delete(key);
      },
    };
    await deleteExpired({ db: h.db, storage: racing, days: 1 });
    expect(retry).toBeDefined();

    const job = await h.db.job.findUnique({ where: { id: created.id }, include: { images: true } });
    if (job) {
      // The retry won: everything it kept is still in storage.
      for (const image of job.images.filter((image) => image.status === 'succeeded')) {
        expect(await h.storage.stat(image.storageKey!), image.storageKey!).not.toBeNull();
      }
    } else {
      // Retention won: the retry found nothing to retry.
      expect(await retry).toMatchObject({ code: 'NOT_FOUND' });
    }
  });
});
