import type { JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGalleryHarness, trpcCodeOf, type GalleryHarness } from '../../test/gallery-harness.js';
import type { Harness } from '../../test/harness.js';

let h: Harness;
let mine: JobView[];
let other: GalleryHarness['other'];
beforeAll(async () => {
  ({ h, mine, other } = await makeGalleryHarness(
    [undefined, 'book', undefined].map((projectId, i) => ({
      prompt: `gallery ${i}`,
      numImages: 2,
      provider: 'local',
      ...(projectId ? { projectId } : {}),
    })),
  ));
}, 60_000);
afterAll(() => h?.close());

const code = trpcCodeOf;

describe('gallery.list', () => {
  it("pages the caller's images across jobs newest first with a cursor, each exactly once, nobody else's", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.caller.gallery.list({ limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((image) => image.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    const views = await Promise.all(mine.map((job) => h.caller.jobs.get({ id: job.id })));
    expect(seen.slice(0, 2).sort()).toEqual(views[2]!.images.map((image) => image.id).sort());
    const first = (await h.caller.gallery.list({ limit: 1 })).items[0]!;
    expect(first).toMatchObject({ prompt: 'gallery 2', provider: 'local', preset: 'illustration', favourite: false });
    expect(first.url).toBe(`/images/${first.id}`);
  });

  it('filters by project, marks favourites, and removes from the gallery while the job keeps the image', async () => {
    const book = await h.caller.gallery.list({ projectId: 'book' });
    expect(book.items.map((image) => image.jobId)).toEqual([mine[1]!.id, mine[1]!.id]);
    expect(await h.caller.gallery.projects()).toEqual([{ projectId: 'book', jobs: 1 }]);

    const [liked, dropped] = book.items;
    expect((await h.caller.gallery.favourite({ id: liked!.id, favourite: true })).favourite).toBe(true);
    expect((await h.caller.gallery.list({ favourites: true })).items.map((image) => image.id)).toEqual([liked!.id]);

    await h.caller.gallery.remove({ id: dropped!.id });
    expect((await h.caller.gallery.list({})).items.map((image) => image.id)).not.toContain(dropped!.id);
    expect(await code(h.caller.gallery.get({ id: dropped!.id }))).toBe('NOT_FOUND');
    const job = await h.caller.jobs.get({ id: mine[1]!.id });
    expect(job.images.find((image) => image.id === dropped!.id)?.url).toBeTruthy();

    await h.caller.gallery.favourite({ id: liked!.id, favourite: false });
    expect((await h.caller.gallery.list({ favourites: true })).items).toEqual([]);
  });

  it("answers NOT_FOUND for another user's image, and marks nothing", async () => {
    const their = (await other.caller.gallery.list({})).items[0]!;
    expect(await code(h.caller.gallery.get({ id: their.id }))).toBe('NOT_FOUND');
    expect(await code(h.caller.gallery.favourite({ id: their.id, favourite: true }))).toBe('NOT_FOUND');
    expect(await code(h.caller.gallery.remove({ id: their.id }))).toBe('NOT_FOUND');
    expect(await h.db.galleryMark.count({ where: { imageId: their.id } })).toBe(0);
    expect(await code(h.caller.gallery.list({ limit: 101 }))).toBe('BAD_REQUEST');
  });
});
