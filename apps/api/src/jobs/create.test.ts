import { MAX_IMAGES_PER_JOB } from '@darkroom/core';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

async function rowCounts() {
  const [jobs, images, queued] = await Promise.all([
    h.db.job.count(),
    h.db.image.count(),
    h.db.$queryRaw<{ n: bigint }[]>`select count(*) as n from graphile_worker._private_jobs`,
  ]);
  return { jobs, images, queued: Number(queued[0]!.n) };
}

describe('jobs.create', () => {
  it('answers at once with a queued job, its images and a queue entry keyed by the job id', async () => {
    const job = await h.caller.jobs.create({
      prompt: 'a friendly dragon playing in a garden',
      numImages: 4,
      aspectRatio: '16:9',
    });

    expect(job).toMatchObject({ status: 'queued', stage: null, progress: 0, numImages: 4, width: 1024, height: 576 });
    expect(job.queuePosition).toBe(0);
    expect(job.images.map((image) => image.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
    const [entry] = await h.db.$queryRaw<{ key: string; task_identifier: string; payload: unknown }[]>`
      select j.key, t.identifier as task_identifier, j.payload
      from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where j.key = ${job.id}`;
    expect(entry).toEqual({ key: job.id, task_identifier: 'generate', payload: { jobId: job.id } });
  });

  it('counts earlier queued jobs of the same priority, and none of lower priority, as ahead', async () => {
    const low = await h.caller.jobs.create({ prompt: 'low', priority: 'low' });
    const urgent = await h.caller.jobs.create({ prompt: 'urgent', priority: 'urgent' });
    const normal = await h.caller.jobs.create({ prompt: 'normal' });
    expect(urgent.queuePosition).toBe(0);
    expect((await h.caller.jobs.get({ id: low.id })).queuePosition).toBe(3);
    expect(normal.queuePosition).toBe(2); // the first test's job and the urgent one
  });

  it.each([
    ['an empty prompt', { prompt: '' }, ['prompt'], { minimum: 1 }],
    ['a whitespace-only prompt', { prompt: '  \n  ' }, ['prompt'], { minimum: 1 }],
    ['a 4001-character prompt', { prompt: 'x'.repeat(4001) }, ['prompt'], { maximum: 4000 }],
    ['numImages 0', { prompt: 'p', numImages: 0 }, ['numImages'], { minimum: 1 }],
    ['numImages 1000', { prompt: 'p', numImages: 1000 }, ['numImages'], { maximum: MAX_IMAGES_PER_JOB }],
    ['an unknown preset', { prompt: 'p', preset: 'oil' }, ['preset'], {}],
    ['an unknown aspect ratio', { prompt: 'p', aspectRatio: '5:4' }, ['aspectRatio'], {}],
    ['oversized metadata', { prompt: 'p', metadata: { notes: 'x'.repeat(9000) } }, ['metadata'], { maximum: 8192 }],
  ])('rejects %s with BAD_REQUEST naming the field and limit, writing nothing', async (_name, input, path, limits) => {
    const before = await rowCounts();
    const error = await h.caller.jobs.create(input as never).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    const response = await h.inject({ method: 'POST', url: '/trpc/jobs.create', payload: input });
    expect(response.statusCode).toBe(400);
    const issues = response.json().error.data.zodIssues as { path: string[]; minimum?: number; maximum?: number }[];
    expect(issues).toContainEqual(expect.objectContaining({ path, ...limits }));
    expect(await rowCounts()).toEqual(before);
  });

  it('returns the first job for a repeated idempotency key, and CONFLICT for a different body', async () => {
    const first = await h.caller.jobs.create({ prompt: 'same', idempotencyKey: 'k-1' });
    const again = await h.caller.jobs.create({ prompt: 'same', idempotencyKey: 'k-1' });
    const before = await rowCounts();
    const conflict = await h.caller.jobs
      .create({ prompt: 'different', idempotencyKey: 'k-1' })
      .catch((e: unknown) => e);

    expect(again.id).toBe(first.id);
    expect((conflict as TRPCError).code).toBe('CONFLICT');
    expect(await rowCounts()).toEqual(before);
  });

  it('creates one job when the same idempotent submit races itself', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.caller.jobs.create({ prompt: 'raced', idempotencyKey: 'race-1' })),
    );
    expect(new Set(results.map((job) => job.id)).size).toBe(1);
    expect(await h.db.job.count({ where: { idempotencyKey: 'race-1' } })).toBe(1);
  });
});
