import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

const overlaps = (
  x: { startedAt: Date | null; finishedAt: Date | null },
  y: { startedAt: Date | null; finishedAt: Date | null },
) => x.startedAt! < y.finishedAt! && y.startedAt! < x.finishedAt!;

describe('limits', () => {
  it('fails a job at claim time when its start deadline passed before a worker took it', async () => {
    const job = await h.caller.jobs.create({
      prompt: 'expires before any worker runs',
      provider: 'mock',
      startBy: new Date(Date.now() + 200).toISOString(),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const worker = await h.startWorker({ WORKER_ID: 'late' });
    const failed = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: job.id });
      return view.status === 'failed' ? view : null;
    });
    expect(failed.error).toMatchObject({ code: 'start_deadline_exceeded', retryable: false });
    expect(failed.images.every((image) => image.status === 'canceled')).toBe(true);
    await worker.stop();
  });

  it("never runs more of one user's jobs at once than the cap, across workers, while others run beside", async () => {
    const config = { MAX_RUNNING_JOBS_PER_USER: '1', MOCK_LATENCY_MS: '150', WORKER_CONCURRENCY: '2' };
    const workers = [
      await h.startWorker({ ...config, WORKER_ID: 'cap-1' }),
      await h.startWorker({ ...config, WORKER_ID: 'cap-2' }),
    ];
    const a = await h.makeUser('capped@example.com');
    const b = await h.makeUser('other@example.com');
    const jobs = [
      ...(await Promise.all(
        Array.from({ length: 4 }, (_, i) => a.caller.jobs.create({ prompt: `capped ${i}`, provider: 'mock' })),
      )),
      ...(await Promise.all(
        Array.from({ length: 2 }, (_, i) => b.caller.jobs.create({ prompt: `other ${i}`, provider: 'mock' })),
      )),
    ];
    await eventually(
      async () => (await h.db.job.count({ where: { id: { in: jobs.map((j) => j.id) }, status: 'succeeded' } })) === 6,
      30_000,
    );

    const runs = await h.db.job.findMany({
      where: { id: { in: jobs.map((j) => j.id) } },
      select: { userId: true, startedAt: true, finishedAt: true },
    });
    const aRuns = runs.filter((run) => run.userId === a.user.id);
    const bRuns = runs.filter((run) => run.userId === b.user.id);
    for (let i = 0; i < aRuns.length; i++)
      for (let j = i + 1; j < aRuns.length; j++) expect(overlaps(aRuns[i]!, aRuns[j]!)).toBe(false);
    expect(aRuns.some((x) => bRuns.some((y) => overlaps(x, y)))).toBe(true);
    await Promise.all(workers.map((worker) => worker.stop()));
  }, 60_000);

  it('fails a run that outlives its timeout with run_timeout, stopping the provider call', async () => {
    await h.startWorker({ MOCK_LATENCY_MS: '20000', WORKER_ID: 'slow' });
    const job = await h.caller.jobs.create({
      prompt: 'takes forever',
      provider: 'mock',
      runTimeoutSeconds: 1,
      priority: 'urgent',
    });
    const failed = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: job.id });
      return view.status === 'failed' ? view : null;
    }, 15_000);
    expect(failed.error).toMatchObject({ code: 'run_timeout', retryable: true });
    expect(failed.images[0]!.status).toBe('canceled');
    // Stopped by the deadline, not by the provider's 20 s.
    expect(Date.parse(failed.finishedAt!) - Date.parse(failed.startedAt!)).toBeLessThan(10_000);
  }, 30_000);
});
