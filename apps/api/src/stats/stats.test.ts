import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { makeJobRunner } from '../../test/ledger.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { prices: { mock: 2, local: 1 } } });
});
afterAll(() => h.close());

describe('stats.me', () => {
  it('counts jobs, outcomes, processing times, credits and favourites per window, for the caller only', async () => {
    const run = makeJobRunner({ db: h.db, storage: h.storage, failures: {} });
    const me = await h.makeUser('counted@example.com');
    const stranger = await h.makeUser('elsewhere@example.com');
    await stranger.caller.jobs.create({ prompt: 'not mine', provider: 'mock', preset: 'photo' });

    const recent = [
      await me.caller.jobs.create({ prompt: 'c1', preset: 'coloring-page', provider: 'mock', numImages: 2 }),
      await me.caller.jobs.create({ prompt: 'c2', preset: 'coloring-page', provider: 'mock' }),
      await me.caller.jobs.create({ prompt: 'cover', preset: 'cover', provider: 'local' }),
    ];
    const canceled = await me.caller.jobs.create({ prompt: 'gone', preset: 'photo', provider: 'mock' });
    await me.caller.jobs.cancel({ id: canceled.id });
    for (const job of recent) await run(job.id);
    // Fix the processing times and age two jobs, so the windows and percentiles have known answers.
    const at = (msAgo: number) => new Date(Date.now() - msAgo);
    const times: [string, number, number][] = [
      [recent[0]!.id, 1000, 3000],
      [recent[1]!.id, 2000, 3 * 24 * 3600_000],
      [recent[2]!.id, 3000, 30 * 24 * 3600_000],
    ];
    for (const [id, ms, age] of times) {
      await h.db.job.update({
        where: { id },
        data: { createdAt: at(age), startedAt: at(age), finishedAt: at(age - ms) },
      });
    }
    const failed = await me.caller.jobs.create({ prompt: 'broken', preset: 'cover', provider: 'mock' });
    await h.db.job.update({
      where: { id: failed.id },
      data: { status: 'failed', startedAt: at(5000), finishedAt: at(1000), creditsReserved: 0 },
    });

    const usage = await me.caller.stats.me();

    expect(usage['24h']).toMatchObject({
      jobs: 3,
      succeeded: 1,
      failed: 1,
      canceled: 1,
      images: 2,
      creditsUsed: 4,
      averageProcessingMs: 2500,
    });
    expect(usage['7d']).toMatchObject({ jobs: 4, succeeded: 2, images: 3, creditsUsed: 6 });
    expect(usage.all).toMatchObject({
      jobs: 5,
      succeeded: 3,
      failed: 1,
      canceled: 1,
      images: 4,
      creditsUsed: 7,
      averageProcessingMs: 2500,
    });
    // p95 over 1000, 2000, 3000, 4000 ms (linear interpolation): 3850.
    expect(usage.all.p95ProcessingMs).toBe(3850);
    expect(usage.all.topPresets).toEqual([
      { preset: 'coloring-page', jobs: 2 },
      { preset: 'cover', jobs: 2 },
      { preset: 'photo', jobs: 1 },
    ]);
    expect(usage.all.topProviders).toEqual([
      { provider: 'mock', jobs: 4 },
      { provider: 'local', jobs: 1 },
    ]);
  });

  it('is all zeros and nulls for a new account', async () => {
    const fresh = await h.makeUser('fresh@example.com');
    const usage = await fresh.caller.stats.me();
    expect(usage.all).toEqual({
      jobs: 0,
      succeeded: 0,
      failed: 0,
      canceled: 0,
      images: 0,
      averageProcessingMs: null,
      p95ProcessingMs: null,
      creditsUsed: 0,
      topPresets: [],
      topProviders: [],
      topModels: [],
    });
  });
});
