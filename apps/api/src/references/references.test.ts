import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker();
});
afterAll(() => h.close());

const solid = (r: number, g: number, b: number) =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

async function upload(body: Buffer, contentType: string, query = '') {
  return h.inject({
    method: 'POST',
    url: `/api/v1/references${query}`,
    headers: { 'content-type': contentType },
    payload: body,
  });
}

async function finished(id: string, caller = h.caller) {
  return eventually(async () => {
    const view = await caller.jobs.get({ id });
    return view.status === 'succeeded' || view.status === 'failed' ? view : null;
  });
}

describe('the references stage', () => {
  // The upload itself, its refusals and its limits are tested for both upload URLs in assets/uploads.test.ts.
  beforeAll(async () => {
    const red = await upload(await solid(255, 0, 0), 'image/png', '?tags=Dragon,Red&description=a%20red%20swatch');
    expect(red.statusCode).toBe(201);
  });

  it('chooses a matching upload and hands its palette to the provider', async () => {
    // A fixed seed: the scene (and so which colour covers the most pixels) is drawn from it.
    const created = await h.caller.jobs.create({ prompt: 'a sleepy dragon on a hill', numImages: 1, seed: 7 });
    const job = await finished(created.id);
    const reference = (await h.caller.references.list())[0]!;

    expect(job.status).toBe('succeeded');
    expect(job.references).toEqual([
      expect.objectContaining({ source: 'upload', id: reference.id, palette: ['#ff0000'] }),
    ]);
    // The local provider painted with the reference's red.
    const image = await h.inject({ method: 'GET', url: job.images[0]!.url! });
    const { dominant } = await sharp(image.rawPayload).stats();
    expect(dominant.r).toBeGreaterThan(200);
    expect(dominant.g + dominant.b).toBeLessThan(120);
  });

  it("also finds the user's earlier results, and never another user's references", async () => {
    const first = await finished(
      (await h.caller.jobs.create({ prompt: 'a lighthouse at dusk', style: 'watercolor' })).id,
    );
    const stranger = await h.makeUser('stranger@example.com');
    const theirs = await stranger.caller.jobs.create({ prompt: 'a lighthouse in a storm' });
    const second = await finished((await h.caller.jobs.create({ prompt: 'a lighthouse in a storm' })).id);

    expect(second.references.map((reference) => [reference.source, reference.id])).toContainEqual([
      'result',
      first.images[0]!.id,
    ]);
    const strangers = await finished(theirs.id, stranger.caller);
    expect(strangers.references.every((reference) => reference.source !== 'upload')).toBe(true);
    expect(strangers.references.map((reference) => reference.id)).not.toContain(first.images[0]!.id);
    expect(await stranger.caller.references.list()).toEqual([]);
  });

  it('uses at most 6 references', async () => {
    for (let i = 0; i < 8; i++)
      expect((await upload(await solid(10 * i, 200, 30), 'image/png', '?tags=kite')).statusCode).toBe(201);
    const job = await finished((await h.caller.jobs.create({ prompt: 'a kite over the sea' })).id);
    expect(job.references).toHaveLength(6);
  });

  it('records a failing search as a warning and generates without references', async () => {
    // A real failure: the table the search reads is gone.
    await h.db.$executeRawUnsafe('alter table "references" rename to references_gone');
    try {
      const job = await finished((await h.caller.jobs.create({ prompt: 'a dragon in the rain' })).id);
      expect([job.status, job.references]).toEqual(['succeeded', []]);
      const events = await h.caller.jobs.events({ id: job.id });
      expect(events.find((event) => event.type === 'warning')?.data).toMatchObject({
        stage: 'references',
        message: expect.stringMatching(/reference search failed/),
      });
    } finally {
      await h.db.$executeRawUnsafe('alter table references_gone rename to "references"');
    }
  });
});
