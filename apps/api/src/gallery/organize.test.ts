import type { JobView } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGalleryHarness, trpcCodeOf, type GalleryHarness } from '../../test/gallery-harness.js';
import type { Harness } from '../../test/harness.js';

let h: Harness;
let other: GalleryHarness['other'];
let mine: JobView[];
let theirs: JobView;
beforeAll(async () => {
  ({ h, other, mine, theirs } = await makeGalleryHarness(
    [0, 1, 2].map((i) => ({ prompt: `organize ${i}`, numImages: 2, provider: 'local' })),
  ));
}, 60_000);
afterAll(() => h?.close());

const code = trpcCodeOf;
const imagesOf = async (job: JobView) => (await h.caller.jobs.get({ id: job.id })).images.map((image) => image.id);

describe('gallery bulk actions and projects', () => {
  it("moves the selection's jobs into a new project, renames it, and refuses another user's image whole", async () => {
    const [a] = await imagesOf(mine[0]!);
    const [b] = await imagesOf(mine[1]!);
    const their = (await other.caller.gallery.list({})).items[0]!.id;

    expect(await code(h.caller.gallery.moveToProject({ ids: [a!, their], projectId: 'atlas' }))).toBe('NOT_FOUND');
    expect(await h.caller.gallery.projects()).toEqual([]);

    expect(await h.caller.gallery.moveToProject({ ids: [a!, b!], projectId: 'atlas' })).toEqual({ jobs: 2 });
    expect(await h.caller.gallery.projects()).toEqual([{ projectId: 'atlas', jobs: 2 }]);
    // A project belongs to a job: both images of each job are in it.
    expect((await h.caller.gallery.list({ projectId: 'atlas' })).items).toHaveLength(4);

    expect(await h.caller.gallery.renameProject({ from: 'atlas', to: 'Atlas 2' })).toEqual({ jobs: 2 });
    expect(await h.caller.gallery.projects()).toEqual([{ projectId: 'Atlas 2', jobs: 2 }]);
    expect(await code(h.caller.gallery.renameProject({ from: 'atlas', to: 'x' }))).toBe('NOT_FOUND');
    // Another user's project of the same name is not touched, and theirs cannot be renamed from here.
    await other.caller.gallery.moveToProject({ ids: [their], projectId: 'mine too' });
    expect(await code(h.caller.gallery.renameProject({ from: 'mine too', to: 'stolen' }))).toBe('NOT_FOUND');
    expect(await other.caller.gallery.projects()).toEqual([{ projectId: 'mine too', jobs: 1 }]);

    expect(await h.caller.gallery.moveToProject({ ids: [b!], projectId: null })).toEqual({ jobs: 1 });
    expect(await h.caller.gallery.projects()).toEqual([{ projectId: 'Atlas 2', jobs: 1 }]);
  });

  it('removes a selection all or none, and refuses hostile lists with the field and the limit', async () => {
    const ids = await imagesOf(mine[2]!);
    const their = (await other.caller.gallery.list({})).items[0]!.id;
    expect(await code(h.caller.gallery.removeMany({ ids: [...ids, their] }))).toBe('NOT_FOUND');
    expect(await h.db.galleryMark.count({ where: { imageId: { in: [...ids, their] } } })).toBe(0);

    expect(await h.caller.gallery.removeMany({ ids })).toEqual({ removed: 2 });
    const left = (await h.caller.gallery.list({})).items.map((image) => image.id);
    for (const id of ids) expect(left).not.toContain(id);
    // Already removed answers like missing.
    expect(await code(h.caller.gallery.removeMany({ ids: [ids[0]!] }))).toBe('NOT_FOUND');

    expect(await code(h.caller.gallery.removeMany({ ids: [] }))).toBe('BAD_REQUEST');
    expect(await code(h.caller.gallery.removeMany({ ids: [left[0]!, left[0]!] }))).toBe('BAD_REQUEST');
    expect(await code(h.caller.gallery.removeMany({ ids: ['not-a-uuid'] }))).toBe('BAD_REQUEST');
    const tooMany = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expect(await code(h.caller.gallery.removeMany({ ids: tooMany }))).toBe('BAD_REQUEST');
    expect(await code(h.caller.gallery.moveToProject({ ids: [left[0]!], projectId: 'x'.repeat(129) }))).toBe(
      'BAD_REQUEST',
    );

    const rest = await h.inject({ method: 'POST', url: '/api/v1/gallery/remove', payload: { ids: [their] } });
    expect([rest.statusCode, rest.json().error.code]).toEqual([404, 'NOT_FOUND']);
    const bad = await h.inject({ method: 'POST', url: '/api/v1/gallery/remove', payload: { ids: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues[0].path).toEqual(['ids']);
  });
});

describe('credits.ledger', () => {
  it('is one line per job (reserve, charge and refund folded) and per grant, cursor-paged', async () => {
    const lines = [];
    let cursor: string | undefined;
    do {
      const page = await h.caller.credits.ledger({ limit: 2, ...(cursor ? { cursor } : {}) });
      lines.push(...page.lines);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const jobLines = lines.filter((line) => line.kind === 'job');
    // Newest settled first: jobs run side by side settle in any order, so the order is the lines' own.
    expect(jobLines.map((line) => line.jobId).sort()).toEqual(mine.map((job) => job.id).sort());
    const places = lines.map((line) => BigInt(line.id));
    expect(places.every((place, i) => i === 0 || place < places[i - 1]!)).toBe(true);
    for (const line of jobLines) {
      const price = mine.find((job) => job.id === line.jobId)!.credits.price;
      expect(line).toMatchObject({ settled: true, spent: 2 * price, amount: -2 * price, refunded: 0 });
      expect(line.prompt).toMatch(/^organize /);
    }
    expect(lines.filter((line) => line.kind === 'grant')).toHaveLength(1); // the starting credits
    expect(new Set(lines.map((line) => line.id)).size).toBe(lines.length);
    expect(lines[0]!.balanceAfter).toBe((await h.caller.credits.get()).balance);
    // Another user's entries never show.
    expect(lines.map((line) => line.jobId)).not.toContain(theirs.id);

    const rest = await h.inject({ method: 'GET', url: '/api/v1/ledger?limit=1' });
    expect(rest.statusCode).toBe(200);
    expect(rest.json().lines).toEqual([lines[0]]);
    expect((await h.inject({ method: 'GET', url: '/api/v1/ledger?limit=101' })).statusCode).toBe(400);
    expect((await h.inject({ method: 'GET', url: '/api/v1/ledger?cursor=0x1' })).statusCode).toBe(400);
    expect(await code(h.caller.credits.ledger({ cursor: '-1' }))).toBe('BAD_REQUEST');
  });

  it("shows each job's cost in its view: held while it runs, charged once it ends", async () => {
    const done = await h.caller.jobs.get({ id: mine[0]!.id });
    expect(done.credits).toEqual({ price: done.credits.price, reserved: 0, charged: 2 * done.credits.price });
    expect(done.credits.price).toBeGreaterThan(0);
    expect(mine[0]!.credits).toEqual({ price: done.credits.price, reserved: 2 * done.credits.price, charged: 0 });
  });
});
