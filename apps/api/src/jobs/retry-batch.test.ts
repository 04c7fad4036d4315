import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

async function until(id: string, done: (status: string) => boolean) {
  return eventually(async () => {
    const view = await h.caller.jobs.get({ id });
    return done(view.status) ? view : null;
  });
}

async function counts() {
  const [jobs, queued] = await Promise.all([
    h.db.job.count(),
    h.db.$queryRaw<{ n: bigint }[]>`select count(*) as n from graphile_worker._private_jobs`,
  ]);
  return { jobs, queued: Number(queued[0]!.n) };
}

describe('jobs.retry', () => {
  it('regenerates only the missing images of a partly failed job, keeping the stored ones', async () => {
    const flaky = await h.startWorker({ MOCK_FAILURES: 'content_filtered:0.5', WORKER_ID: 'flaky' });
    const created = await h.caller.jobs.create({
      prompt: 'half of these get refused',
      numImages: 6,
      provider: 'mock',
      seed: 13,
    });
    const first = await until(created.id, (status) => status === 'succeeded' || status === 'failed');
    await flaky.stop();
    const kept = await h.db.image.findMany({
      where: { jobId: created.id, status: 'succeeded' },
      orderBy: { id: 'asc' },
    });
    expect(first.counts.failed).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);

    const steady = await h.startWorker({ WORKER_ID: 'steady' });
    const retried = await h.caller.jobs.retry({ id: created.id });
    expect(retried.status).toBe('queued');
    const done = await until(created.id, (status) => status === 'succeeded');

    expect(done.counts).toEqual({ succeeded: 6, failed: 0 });
    const after = await h.db.image.findMany({
      where: { id: { in: kept.map((image) => image.id) } },
      orderBy: { id: 'asc' },
    });
    // The images stored the first time were not touched: same finish time, one attempt each.
    expect(after.map((image) => [image.id, image.finishedAt?.getTime(), image.attempts])).toEqual(
      kept.map((image) => [image.id, image.finishedAt?.getTime(), 1]),
    );
    const events = await h.caller.jobs.events({ id: created.id });
    expect(events.find((event) => event.type === 'retried')?.data).toMatchObject({ previousStatus: first.status });
    await steady.stop();
  });

  it('refuses a job with nothing missing, and an unknown one', async () => {
    const worker = await h.startWorker({ WORKER_ID: 'complete' });
    const created = await h.caller.jobs.create({ prompt: 'complete', provider: 'mock' });
    await until(created.id, (status) => status === 'succeeded');
    const complete = await h.caller.jobs.retry({ id: created.id }).catch((e: unknown) => e);
    expect((complete as TRPCError).code).toBe('CONFLICT');
    const unknown = await h.caller.jobs.retry({ id: '00000000-0000-4000-8000-000000000009' }).catch((e: unknown) => e);
    expect((unknown as TRPCError).code).toBe('NOT_FOUND');
    await worker.stop();
  });

  it.each(['queued', 'running'] as const)(
    'refuses a %s job with CONFLICT (INVALID_STATE), changing nothing',
    async (status) => {
      // A row in that state with no queue entry, so no worker can move it while we ask.
      const job = await h.db.job.create({
        data: {
          userId: h.user.id,
          preset: 'photo',
          prompt: `still ${status}`,
          aspectRatio: '1:1',
          width: 64,
          height: 64,
          provider: 'mock',
          numImages: 1,
          status,
          // The database holds a running job to having started (jobs_started_at_when_running).
          startedAt: status === 'running' ? new Date() : null,
          images: { create: [{ index: 0 }] },
        },
      });
      const error = await h.caller.jobs.retry({ id: job.id }).catch((e: unknown) => e);
      expect((error as TRPCError).code).toBe('CONFLICT');
      expect((error as TRPCError).message).toMatch(new RegExp(`is ${status}; only a finished job can be retried`));
      expect(await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).toEqual(job);
    },
  );
});

describe('jobs.createBatch', () => {
  it.each([
    ['no requests', { requests: [] }, ['requests']],
    ['101 requests', { requests: Array.from({ length: 101 }, () => ({ prompt: 'x' })) }, ['requests']],
    [
      'one bad request among good ones',
      { requests: [{ prompt: 'ok' }, { prompt: 'ok' }, { prompt: '' }] },
      ['requests', '2', 'prompt'],
    ],
  ])('rejects %s with BAD_REQUEST and writes nothing', async (_name, input, path) => {
    const before = await counts();
    const response = await h.inject({ method: 'POST', url: '/trpc/jobs.createBatch', payload: input });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.data.zodIssues).toContainEqual(expect.objectContaining({ path }));
    expect(await counts()).toEqual(before);
  });

  it('inserts the jobs in one transaction with one queue call, and reports aggregate progress', async () => {
    const worker = await h.startWorker({ WORKER_ID: 'batch' });
    const batch = await h.caller.jobs.createBatch({
      requests: [
        { prompt: 'page one', preset: 'coloring-page', provider: 'mock', numImages: 2 },
        { prompt: 'page two', preset: 'coloring-page', provider: 'mock', numImages: 2 },
        { prompt: 'the cover', preset: 'cover', provider: 'mock' },
      ],
    });
    expect(batch.jobs).toHaveLength(3);
    expect(new Set(batch.jobs.map((job) => job.batchId))).toEqual(new Set([batch.batchId]));
    expect(batch.images.total).toBe(5);

    const done = await eventually(async () => {
      const view = await h.caller.jobs.batch({ batchId: batch.batchId });
      return view.done ? view : null;
    });
    expect(done).toMatchObject({
      progress: 100,
      counts: { succeeded: 3 },
      images: { total: 5, succeeded: 5, failed: 0 },
    });
    await worker.stop();
  });

  it("answers NOT_FOUND for another user's batch", async () => {
    const batch = await h.caller.jobs.createBatch({ requests: [{ prompt: 'mine', provider: 'mock' }] });
    const stranger = await h.makeUser('stranger@example.com');
    const error = await stranger.caller.jobs.batch({ batchId: batch.batchId }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });
});
