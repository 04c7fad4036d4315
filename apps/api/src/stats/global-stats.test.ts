import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

describe('stats.global', () => {
  it("sums everyone's jobs per window, with success rates overall and per provider", async () => {
    const other = await h.makeUser('other@example.com');
    const at = (msAgo: number) => new Date(Date.now() - msAgo);
    /** A job of `who` that ended `status` after `ms` of processing, `age` ms ago. */
    const ended = async (
      who: typeof other,
      provider: 'local' | 'mock',
      status: 'succeeded' | 'failed' | 'canceled',
      ms: number,
      age: number,
    ) => {
      const job = await who.caller.jobs.create({
        prompt: `${provider} ${status}`,
        provider,
        preset: provider === 'mock' ? 'photo' : 'cover',
      });
      await h.db.job.update({
        where: { id: job.id },
        data: { status, createdAt: at(age), startedAt: at(age), finishedAt: at(age - ms), creditsReserved: 0 },
      });
    };
    const owner = { user: h.user, caller: h.caller } as typeof other;
    await ended(owner, 'mock', 'succeeded', 1000, 60_000);
    await ended(owner, 'mock', 'failed', 3000, 60_000);
    await ended(other, 'local', 'succeeded', 2000, 60_000);
    await ended(other, 'mock', 'canceled', 500, 60_000);
    await ended(other, 'local', 'succeeded', 4000, 3 * 86_400_000);

    const stats = await h.admin.caller.stats.global();

    expect(stats['24h']).toMatchObject({
      jobs: 4,
      succeeded: 2,
      failed: 1,
      canceled: 1,
      activeUsers: 2,
      averageProcessingMs: 2000,
    });
    expect(stats['24h'].successRate).toBeCloseTo(2 / 3);
    expect(stats['24h'].outcomesByProvider).toEqual([
      { provider: 'mock', succeeded: 1, failed: 1, canceled: 1, successRate: 0.5 },
      { provider: 'local', succeeded: 1, failed: 0, canceled: 0, successRate: 1 },
    ]);
    expect(stats['24h'].topPresets).toEqual([
      { preset: 'photo', jobs: 3 },
      { preset: 'cover', jobs: 1 },
    ]);
    expect(stats['7d']).toMatchObject({ jobs: 5, succeeded: 3, activeUsers: 2 });
    expect(stats['7d'].outcomesByProvider.find((row) => row.provider === 'local')).toMatchObject({ succeeded: 2 });
    // p95 of 1000, 2000, 3000, 4000 ms (canceled runs are not processing times).
    expect(stats['7d'].p95ProcessingMs).toBe(3850);
  });

  it('is for admins only', async () => {
    const error = await h.caller.stats.global().catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('FORBIDDEN');
  });
});
