import { MAX_COLLECTION_NAME, type CollectionImagesView, type CollectionView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

// Collections over REST (Fastify's inject: the whole HTTP stack), on a real database and a real worker.
let h: Harness;
let other: Awaited<ReturnType<Harness['makeUser']>>;
let mine: string[] = [];
let theirs: string;
beforeAll(async () => {
  h = await makeHarness();
  other = await h.makeUser('other@example.com');
  const jobs = [
    [h.caller, await h.caller.jobs.create({ prompt: 'rest board', numImages: 3, provider: 'local' })],
    [other.caller, await other.caller.jobs.create({ prompt: 'not yours', numImages: 1, provider: 'local' })],
  ] as const;
  await h.startWorker();
  for (const [caller, job] of jobs)
    for (let view = job; view.status !== 'succeeded'; view = await caller.jobs.get({ id: job.id })) {
      if (['failed', 'canceled'].includes(view.status)) throw new Error(`job ${job.id} ${view.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  mine = (await h.caller.gallery.list({})).items.map((image) => image.id);
  theirs = (await other.caller.gallery.list({})).items[0]!.id;
}, 60_000);
afterAll(() => h.close());

type RestError = { error: { code: string; details: { issues?: { path: string[]; maximum?: number }[] } | null } };
const send = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = {}) =>
  h.inject({ method, url: `/api/v1${url}`, ...(payload ? { payload } : {}), headers });
/** Status, REST code and the first issue's path and limit, or 'OK'. */
const refusal = async (response: ReturnType<typeof send>) => {
  const answer = await response;
  if (answer.statusCode < 400) return 'OK';
  const { error } = answer.json<RestError>();
  const issue = error.details?.issues?.[0];
  return [answer.statusCode, error.code, issue?.path.join('.'), issue?.maximum]
    .filter((x) => x !== undefined)
    .join(' ');
};

describe('REST /api/v1/collections', () => {
  it('creates, lists, fills, pages, empties, renames and deletes a collection', async () => {
    const created = await send('POST', '/collections', { name: '  Harbour  ' });
    expect(created.statusCode).toBe(201);
    const board = created.json<CollectionView>();
    expect(board).toMatchObject({ name: 'Harbour', images: 0, coverUrl: null });
    expect(created.headers.location).toBe(`/api/v1/collections/${board.id}`);

    const added = await send('POST', `/collections/${board.id}/images`, { imageIds: mine });
    expect(added.json<CollectionView>().images).toBe(3);
    const first = (await send('GET', `/collections/${board.id}/images?limit=2`)).json<CollectionImagesView>();
    expect(first.collection.images).toBe(3);
    expect(first.page.items).toHaveLength(2);
    const rest = await send('GET', `/collections/${board.id}/images?limit=2&cursor=${first.page.nextCursor}`);
    const second = rest.json<CollectionImagesView>();
    expect(second.page.nextCursor).toBeNull();
    expect([...first.page.items, ...second.page.items].map((image) => image.id).sort()).toEqual([...mine].sort());

    const removed = await send('POST', `/collections/${board.id}/images/remove`, { imageIds: [mine[0]] });
    expect(removed.json<CollectionView>().images).toBe(2);
    const renamed = await send('PATCH', `/collections/${board.id}`, { name: 'Harbour, kept' });
    expect(renamed.json<CollectionView>().name).toBe('Harbour, kept');
    const list = (await send('GET', '/collections')).json<{ items: CollectionView[] }>();
    expect(list.items.map((item) => [item.name, item.images])).toEqual([['Harbour, kept', 2]]);

    expect((await send('DELETE', `/collections/${board.id}`)).json()).toEqual({ deleted: true });
    expect((await send('GET', '/collections')).json()).toEqual({ items: [] });
    // Its images stay in the gallery.
    expect((await h.caller.gallery.list({})).items).toHaveLength(3);
  });

  it("answers 404 for another account's collection or image, and changes nothing", async () => {
    const theirBoard = await other.caller.collections.create({ name: 'Private' });
    await other.caller.collections.add({ id: theirBoard.id, imageIds: [theirs] });
    const board = (await send('POST', '/collections', { name: 'Mine' })).json<CollectionView>();
    const at = `/collections/${theirBoard.id}`;
    for (const attempt of [
      send('GET', `${at}/images`),
      send('PATCH', at, { name: 'Taken' }),
      send('DELETE', at),
      send('POST', `${at}/images`, { imageIds: [mine[0]] }),
      send('POST', `${at}/images/remove`, { imageIds: [theirs] }),
      send('POST', `/collections/${board.id}/images`, { imageIds: [mine[0], theirs] }),
    ])
      expect(await refusal(attempt)).toBe('404 NOT_FOUND');
    const theirsNow = await other.caller.collections.list();
    expect(theirsNow.map((item) => [item.name, item.images])).toEqual([['Private', 1]]);
    // All or none: the request that named one image not mine added none.
    expect((await h.caller.collections.list()).find((item) => item.id === board.id)?.images).toBe(0);
    await send('DELETE', `/collections/${board.id}`);
  });

  it('refuses bad input with 400 naming the field and its limit, and no caller with 401', async () => {
    const board = (await send('POST', '/collections', { name: 'Limits' })).json<CollectionView>();
    const at = `/collections/${board.id}`;
    expect(await refusal(send('POST', '/collections', { name: 'x'.repeat(MAX_COLLECTION_NAME + 1) }))).toBe(
      `400 BAD_INPUT name ${MAX_COLLECTION_NAME}`,
    );
    expect(await refusal(send('POST', '/collections', { name: '   ' }))).toBe('400 BAD_INPUT name');
    expect(await refusal(send('POST', '/collections', { name: 'Limits' }))).toBe('409 CONFLICT');
    expect(await refusal(send('PATCH', at, {}))).toBe('400 BAD_INPUT name');
    expect(await refusal(send('POST', `${at}/images`, { imageIds: [] }))).toBe('400 BAD_INPUT imageIds');
    expect(await refusal(send('POST', `${at}/images`, { imageIds: ['nope'] }))).toBe('400 BAD_INPUT imageIds.0');
    expect(await refusal(send('GET', `${at}/images?limit=101`))).toBe('400 BAD_INPUT limit 100');
    expect(await refusal(send('GET', `${at}/images?cursor=0x1`))).toBe('400 BAD_INPUT cursor');
    expect(await refusal(send('GET', '/collections/nope/images'))).toBe('400 BAD_INPUT id');
    expect(await refusal(send('DELETE', '/collections/nope'))).toBe('400 BAD_INPUT id');
    const anonymous = await h.inject({ method: 'GET', url: '/api/v1/collections', headers: { authorization: '' } });
    expect(anonymous.statusCode).toBe(401);
    expect((await h.caller.collections.list()).map((item) => item.name)).toEqual(['Limits']);
  });
});
