import type { TRPCError } from '@trpc/server';
import { makeJob } from '@darkroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

describe('jobs.get', () => {
  it('answers NOT_FOUND for an unknown id', async () => {
    const error = await h.caller.jobs.get({ id: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });

  it("answers NOT_FOUND for another user's job, exactly as for a missing one", async () => {
    const other = await h.db.user.create({ data: { email: 'other@example.com' } });
    const theirs = await makeJob({ db: h.db, user: other, request: { prompt: 'theirs' }, prices: { local: 0 } });
    const error = await h.caller.jobs.get({ id: theirs.id }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
    expect((error as TRPCError).message).toBe(`job ${theirs.id} not found`);
  });
});

describe('jobs.list', () => {
  it('pages newest first with a cursor, each job exactly once', async () => {
    const created = [];
    for (let i = 0; i < 7; i++)
      created.push(await h.caller.jobs.create({ prompt: `page test ${i}`, projectId: 'paging' }));
    const seen: string[] = [];
    let cursor: string | undefined;
    const pageSizes: number[] = [];
    do {
      const page = await h.caller.jobs.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      pageSizes.push(page.items.length);
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);

    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(created.map((job) => job.id).reverse());
  });

  it('filters by status', async () => {
    const job = await h.caller.jobs.create({ prompt: 'to cancel' });
    await h.caller.jobs.cancel({ id: job.id });
    const page = await h.caller.jobs.list({ status: 'canceled' });
    expect(page.items.map((item) => item.id)).toEqual([job.id]);
  });

  it('filters by preset, project, batch and creation time, and pages within the filter', async () => {
    const user = await h.makeUser('filters@example.com');
    const a = await user.caller.jobs.create({ prompt: 'a lighthouse at dusk', preset: 'cover', projectId: 'book-1' });
    const b = await user.caller.jobs.create({ prompt: 'a lighthouse keeper', preset: 'photo', projectId: 'book-1' });
    const c = await user.caller.jobs.create({ prompt: 'a fox in snow', preset: 'cover', projectId: 'book-2' });
    const batch = await user.caller.jobs.createBatch({ requests: [{ prompt: 'batch one' }, { prompt: 'batch two' }] });
    const ids = async (input: Parameters<typeof user.caller.jobs.list>[0]) =>
      (await user.caller.jobs.list(input)).items.map((job) => job.id);

    expect(await ids({ preset: 'cover' })).toEqual([c.id, a.id]);
    expect(await ids({ projectId: 'book-1' })).toEqual([b.id, a.id]);
    expect(await ids({ batchId: batch.batchId })).toEqual(batch.jobs.map((job) => job.id).reverse());
    expect(await ids({ preset: 'cover', projectId: 'book-2' })).toEqual([c.id]);
    expect(await ids({ createdFrom: c.createdAt })).toEqual([...batch.jobs.map((job) => job.id).reverse(), c.id]);
    expect(await ids({ createdTo: b.createdAt })).toEqual([a.id]);
    expect(await ids({ createdFrom: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);

    const first = await user.caller.jobs.list({ projectId: 'book-1', limit: 1 });
    expect(first.items.map((job) => job.id)).toEqual([b.id]);
    const second = await user.caller.jobs.list({ projectId: 'book-1', limit: 1, cursor: first.nextCursor! });
    expect(second.items.map((job) => job.id)).toEqual([a.id]);
    expect(second.nextCursor).toBeNull();
  });

  it("searches prompts by words (full text: stems, any order), only among the caller's own jobs", async () => {
    const user = await h.makeUser('search@example.com');
    const stranger = await h.makeUser('stranger@example.com');
    const keepers = await user.caller.jobs.create({ prompt: 'two lighthouse keepers playing chess' });
    await user.caller.jobs.create({ prompt: 'a dragon over the sea' });
    await stranger.caller.jobs.create({ prompt: 'a lighthouse of my own' });

    expect((await user.caller.jobs.list({ search: 'keeper lighthouse' })).items.map((job) => job.id)).toEqual([
      keepers.id,
    ]);
    expect((await user.caller.jobs.list({ search: 'lighthouse', status: 'canceled' })).items).toEqual([]);
    expect((await user.caller.jobs.list({ search: 'unicorn' })).items).toEqual([]);
  });

  it('rejects a limit above 100', async () => {
    const error = await h.caller.jobs.list({ limit: 101 }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
  });
});
