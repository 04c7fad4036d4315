import { MAX_COLLECTIONS_PER_USER, MAX_IMAGES_PER_COLLECTION, type JobView } from '@darkroom/core';
import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let other: Awaited<ReturnType<Harness['makeUser']>>;
let mine: string[] = [];
let theirs: string;
let theirJob: JobView;
beforeAll(async () => {
  h = await makeHarness();
  other = await h.makeUser('other@example.com');
  const jobs = [
    await h.caller.jobs.create({ prompt: 'board a', numImages: 2, provider: 'local' }),
    await h.caller.jobs.create({ prompt: 'board b', numImages: 2, provider: 'local' }),
  ];
  theirJob = await other.caller.jobs.create({ prompt: 'not yours', numImages: 1, provider: 'local' });
  await h.startWorker();
  for (const [caller, job] of [...jobs.map((job) => [h.caller, job] as const), [other.caller, theirJob] as const])
    for (let view = job; view.status !== 'succeeded'; view = await caller.jobs.get({ id: job.id })) {
      if (['failed', 'canceled'].includes(view.status)) throw new Error(`job ${job.id} ${view.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  mine = (await h.caller.gallery.list({})).items.map((image) => image.id);
  theirs = (await other.caller.gallery.list({})).items[0]!.id;
}, 60_000);
afterAll(() => h.close());

/** The error's tRPC code and the field it names (a domain error's details or zod's path), or 'OK'. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (error: TRPCError) => {
      const cause = error.cause as { details?: { field?: string }; issues?: { path: PropertyKey[] }[] } | undefined;
      const field = cause?.details?.field ?? cause?.issues?.[0]?.path.join('.');
      return field ? `${error.code} ${field}` : error.code;
    },
  );
const ids = async (id: string) =>
  (await h.caller.collections.images({ id })).page.items.map((image) => image.id).sort();

describe('collections', () => {
  it('makes, fills, pages, renames and deletes a collection without deleting an image', async () => {
    const board = await h.caller.collections.create({ name: '  Moodboard  ' });
    expect(board).toMatchObject({ name: 'Moodboard', images: 0, coverUrl: null });

    const added = await h.caller.collections.add({ id: board.id, imageIds: [mine[0]!, mine[1]!] });
    expect(added.images).toBe(2);
    // Adding again is harmless: an image is in a collection once.
    expect((await h.caller.collections.add({ id: board.id, imageIds: [mine[1]!, mine[2]!] })).images).toBe(3);
    expect(await ids(board.id)).toEqual([mine[0]!, mine[1]!, mine[2]!].sort());
    expect(await h.caller.collections.ofImage({ imageId: mine[1]! })).toEqual([board.id]);

    const first = await h.caller.collections.images({ id: board.id, limit: 2 });
    expect(first.page.items).toHaveLength(2);
    const second = await h.caller.collections.images({ id: board.id, limit: 2, cursor: first.page.nextCursor! });
    expect([...first.page.items, ...second.page.items].map((image) => image.id).sort()).toEqual(await ids(board.id));
    expect(second.page.nextCursor).toBeNull();

    expect((await h.caller.collections.rename({ id: board.id, name: 'Palette' })).name).toBe('Palette');
    expect((await h.caller.collections.remove({ id: board.id, imageIds: [mine[0]!] })).images).toBe(2);
    expect((await h.caller.gallery.list({})).items.map((image) => image.id)).toContain(mine[0]);

    expect(await h.caller.collections.delete({ id: board.id })).toEqual({ deleted: true });
    expect(await h.caller.collections.list()).toEqual([]);
    expect((await h.caller.gallery.list({})).items).toHaveLength(mine.length);
    expect(await refusal(h.caller.collections.images({ id: board.id }))).toBe('NOT_FOUND');
  });

  it("answers another user's collection or image as NOT_FOUND and writes nothing", async () => {
    const mineBoard = await h.caller.collections.create({ name: 'Shared name' });
    const theirBoard = await other.caller.collections.create({ name: 'Shared name' });
    await other.caller.collections.add({ id: theirBoard.id, imageIds: [theirs] });

    expect(await refusal(h.caller.collections.images({ id: theirBoard.id }))).toBe('NOT_FOUND');
    expect(await refusal(h.caller.collections.rename({ id: theirBoard.id, name: 'stolen' }))).toBe('NOT_FOUND');
    expect(await refusal(h.caller.collections.delete({ id: theirBoard.id }))).toBe('NOT_FOUND');
    expect(await refusal(h.caller.collections.add({ id: theirBoard.id, imageIds: [mine[0]!] }))).toBe('NOT_FOUND');
    expect(await refusal(h.caller.collections.remove({ id: theirBoard.id, imageIds: [theirs] }))).toBe('NOT_FOUND');
    expect(await refusal(h.caller.collections.add({ id: mineBoard.id, imageIds: [mine[0]!, theirs] }))).toBe(
      'NOT_FOUND',
    );
    expect(await refusal(h.caller.collections.ofImage({ imageId: theirs }))).toBe('NOT_FOUND');

    expect((await h.caller.collections.list()).map((board) => board.id)).toEqual([mineBoard.id]);
    expect(await h.db.collectionImage.count({ where: { collectionId: mineBoard.id } })).toBe(0);
    expect(await other.caller.collections.list()).toMatchObject([{ name: 'Shared name', images: 1 }]);
    await h.caller.collections.delete({ id: mineBoard.id });
    await other.caller.collections.delete({ id: theirBoard.id });
  });

  it('refuses hostile names and lists with the field and the limit', async () => {
    const board = await h.caller.collections.create({ name: 'Limits' });
    expect(await refusal(h.caller.collections.create({ name: 'Limits' }))).toBe('CONFLICT name');
    const spare = await h.caller.collections.create({ name: 'Spare' });
    expect(await refusal(h.caller.collections.rename({ id: spare.id, name: 'Limits' }))).toBe('CONFLICT name');
    expect(await refusal(h.caller.collections.create({ name: '   ' }))).toBe('BAD_REQUEST name');
    expect(await refusal(h.caller.collections.create({ name: 'x'.repeat(81) }))).toBe('BAD_REQUEST name');
    expect(await refusal(h.caller.collections.add({ id: board.id, imageIds: [] }))).toBe('BAD_REQUEST imageIds');
    expect(await refusal(h.caller.collections.add({ id: board.id, imageIds: ['nope'] }))).toBe(
      'BAD_REQUEST imageIds.0',
    );
    expect(await refusal(h.caller.collections.images({ id: 'nope' }))).toBe('BAD_REQUEST id');

    // Images per collection: fill it to the limit with rows of their own, then one more is refused.
    await h.db.$executeRaw`
      INSERT INTO images (id, job_id, index, updated_at)
      SELECT gen_random_uuid(), ${theirJob.id}::uuid, 1000 + g, now()
      FROM generate_series(1, ${MAX_IMAGES_PER_COLLECTION}) g`;
    await h.db.$executeRaw`
      INSERT INTO collection_images (collection_id, image_id)
      SELECT ${board.id}::uuid, id FROM images WHERE job_id = ${theirJob.id}::uuid AND index >= 1000`;
    expect(await refusal(h.caller.collections.add({ id: board.id, imageIds: [mine[0]!] }))).toBe(
      'BAD_REQUEST imageIds',
    );
    expect(await h.db.collectionImage.count({ where: { collectionId: board.id } })).toBe(MAX_IMAGES_PER_COLLECTION);
    await h.db.image.deleteMany({ where: { jobId: theirJob.id, index: { gte: 1000 } } });
    // Deleted images leave their collections with them.
    expect(await h.db.collectionImage.count({ where: { collectionId: board.id } })).toBe(0);

    // Collections per user.
    const have = (await h.caller.collections.list()).length;
    for (let i = have; i < MAX_COLLECTIONS_PER_USER; i++) await h.caller.collections.create({ name: `board ${i}` });
    expect(await refusal(h.caller.collections.create({ name: 'one too many' }))).toBe('BAD_REQUEST name');
    expect(await h.db.collection.count({ where: { userId: h.user.id } })).toBe(MAX_COLLECTIONS_PER_USER);
    await h.db.collection.deleteMany({ where: { userId: h.user.id } });
  });

  it('takes an image out of every collection when it leaves the gallery', async () => {
    const a = await h.caller.collections.create({ name: 'A' });
    const b = await h.caller.collections.create({ name: 'B' });
    await h.caller.collections.add({ id: a.id, imageIds: [mine[0]!, mine[1]!] });
    await h.caller.collections.add({ id: b.id, imageIds: [mine[0]!, mine[2]!] });

    await h.caller.gallery.remove({ id: mine[0]! });
    await h.caller.gallery.removeMany({ ids: [mine[2]!] });

    expect(await ids(a.id)).toEqual([mine[1]!]);
    expect(await ids(b.id)).toEqual([]);
    expect((await h.caller.collections.list()).map((board) => [board.name, board.images])).toEqual([
      ['B', 0],
      ['A', 1],
    ]);
    expect(await h.db.collectionImage.count({ where: { imageId: { in: [mine[0]!, mine[2]!] } } })).toBe(0);
  });
});
