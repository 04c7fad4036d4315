import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

/** The most intervals that overlap at any instant. */
function maxOverlap(intervals: { start: number; end: number }[]) {
  const edges = intervals
    .flatMap(
      ({ start, end }) =>
        [
          [start, 1],
          [end, -1],
        ] as const,
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let most = 0;
  for (const [, delta] of edges) most = Math.max(most, (current += delta));
  return most;
}

async function runAll(jobs: { id: string }[]) {
  await eventually(
    async () =>
      (await h.db.job.count({ where: { id: { in: jobs.map((job) => job.id) }, status: 'succeeded' } })) === jobs.length,
    40_000,
  );
  return h.db.image.findMany({
    where: { jobId: { in: jobs.map((job) => job.id) } },
    select: { startedAt: true, durationMs: true },
  });
}

describe('provider limits shared by all workers', () => {
  it('keeps at most PROVIDER_CONCURRENCY calls in flight across two workers', async () => {
    const config = {
      PROVIDER_CONCURRENCY: 'mock:3',
      MOCK_LATENCY_MS: '150',
      WORKER_CONCURRENCY: '4',
      IMAGE_CONCURRENCY: '4',
    };
    const workers = [
      await h.startWorker({ ...config, WORKER_ID: 'gate-1' }),
      await h.startWorker({ ...config, WORKER_ID: 'gate-2' }),
    ];
    const jobs = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        h.caller.jobs.create({ prompt: `slots ${i}`, provider: 'mock', numImages: 4 }),
      ),
    );

    const images = await runAll(jobs);
    // An image's started_at and duration_ms are its vendor call, the time it held a slot; storing it
    // afterwards holds none.
    const overlap = maxOverlap(
      images.map((image) => ({
        start: image.startedAt!.getTime(),
        end: image.startedAt!.getTime() + image.durationMs!,
      })),
    );
    expect(overlap).toBeLessThanOrEqual(3);
    expect(overlap).toBeGreaterThanOrEqual(2);
    const leases = await h.db.providerLease.findMany({ where: { provider: 'mock' } });
    expect(leases.filter((lease) => lease.slot < 3)).toHaveLength(3);
    expect(leases.every((lease) => lease.holder === null)).toBe(true);
    await Promise.all(workers.map((worker) => worker.stop()));
  }, 60_000);

  it('starts at most PROVIDER_RPM calls per minute across two workers', async () => {
    const config = { PROVIDER_RPM: 'mock:120', WORKER_CONCURRENCY: '2', IMAGE_CONCURRENCY: '4' };
    const workers = [
      await h.startWorker({ ...config, WORKER_ID: 'rate-1' }),
      await h.startWorker({ ...config, WORKER_ID: 'rate-2' }),
    ];
    const jobs = await Promise.all(
      Array.from({ length: 2 }, (_, i) =>
        h.caller.jobs.create({ prompt: `rate ${i}`, provider: 'mock', numImages: 4 }),
      ),
    );

    const starts = (await runAll(jobs)).map((image) => image.startedAt!.getTime()).sort((a, b) => a - b);
    // 120/min is 2 per second: no five calls may start within one second.
    for (let i = 0; i + 4 < starts.length; i++) expect(starts[i + 4]! - starts[i]!).toBeGreaterThanOrEqual(900);
    await Promise.all(workers.map((worker) => worker.stop()));
  }, 60_000);
});
