import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker();
});
afterAll(() => h.close());

describe('create -> worker -> succeeded', () => {
  it('stores 4 distinct PNGs of the requested size, served over HTTP', async () => {
    const created = await h.caller.jobs.create({
      prompt: 'a friendly dragon playing in a garden',
      numImages: 4,
      aspectRatio: '3:4',
    });
    const job = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: created.id });
      return view.status === 'succeeded' ? view : null;
    });

    expect(job).toMatchObject({ progress: 100, stage: null, counts: { succeeded: 4, failed: 0 }, error: null });
    const digests = new Set<string>();
    for (const image of job.images) {
      expect(image).toMatchObject({ status: 'succeeded', mime: 'image/png', width: 768, height: 1024 });
      const response = await h.inject({ method: 'GET', url: image.url! });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('image/png');
      const metadata = await sharp(response.rawPayload).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual(['png', 768, 1024]);
      digests.add(response.rawPayload.toString('base64'));
    }
    expect(digests.size).toBe(4);
  });

  it('stores and serves images in the output format the request asks for', async () => {
    const created = await h.caller.jobs.create({ prompt: 'a jpeg of a harbour', outputFormat: 'jpeg' });
    const job = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: created.id });
      return view.status === 'succeeded' ? view : null;
    });
    const response = await h.inject({ method: 'GET', url: job.images[0]!.url! });

    expect([created.outputFormat, job.images[0]!.mime, response.headers['content-type']]).toEqual([
      'jpeg',
      'image/jpeg',
      'image/jpeg',
    ]);
    expect((await sharp(response.rawPayload).metadata()).format).toBe('jpeg');
  });

  it("serves each image's webp thumbnail with its own ETag", async () => {
    const created = await h.caller.jobs.create({ prompt: 'a lighthouse for the gallery', aspectRatio: '16:9' });
    const job = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: created.id });
      return view.status === 'succeeded' ? view : null;
    });
    const image = job.images[0]!;

    const response = await h.inject({ method: 'GET', url: image.thumbnailUrl! });
    const again = await h.inject({
      method: 'GET',
      url: image.thumbnailUrl!,
      headers: { 'if-none-match': String(response.headers.etag) },
    });

    expect(image.thumbnailUrl).toBe(`${image.url}/thumbnail`);
    expect([response.statusCode, response.headers['content-type'], response.headers.etag]).toEqual([
      200,
      'image/webp',
      `"${image.id}-thumb"`,
    ]);
    const metadata = await sharp(response.rawPayload).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['webp', 256, 144]);
    expect(again.statusCode).toBe(304);
  });

  it('writes the timeline in order and never lowers progress', async () => {
    const created = await h.caller.jobs.create({ prompt: 'timeline', numImages: 2 });
    await eventually(async () => (await h.caller.jobs.get({ id: created.id })).status === 'succeeded');
    const events = await h.db.jobEvent.findMany({ where: { jobId: created.id }, orderBy: { id: 'asc' } });

    // `progress` and `position` are throttled observations (at most one a second): whether one lands
    // depends on timing, so they are checked for their place, not counted.
    const types = events.map((event) => event.type);
    const observed = types.flatMap((type, i) => (type === 'progress' || type === 'position' ? [i] : []));
    expect(observed.every((i) => i > types.indexOf('created') && i < types.indexOf('finished'))).toBe(true);
    expect(types.filter((type) => type !== 'progress' && type !== 'position')).toEqual([
      'created',
      'started',
      'stage',
      'stage',
      'stage',
      'image_succeeded',
      'image_succeeded',
      'finished',
    ]);
    expect(events.filter((e) => e.type === 'stage').map((e) => (e.data as { stage: string }).stage)).toEqual([
      'references',
      'prompts',
      'generating',
    ]);
    const images = await h.db.image.findMany({ where: { jobId: created.id } });
    expect(images.every((image) => image.prompt?.startsWith('timeline, '))).toBe(true);
  });

  it('fails a job whose queue payload is malformed with invalid_payload, and keeps working', async () => {
    // A row as the API writes it, queued with a payload an older or broken producer might send.
    const created = await h.db.job.create({
      data: {
        userId: h.user.id,
        preset: 'photo',
        prompt: 'bad payload',
        aspectRatio: '1:1',
        width: 1024,
        height: 1024,
        provider: 'local',
        numImages: 1,
        images: { create: [{ index: 0 }] },
      },
    });
    await h.db.$executeRaw`
      select graphile_worker.add_job('generate', json_build_object('jobId', ${created.id}::text, 'numImages', 'lots'))`;
    const failed = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: created.id });
      return view.status === 'failed' ? view : null;
    });
    expect(failed.error).toMatchObject({ code: 'invalid_payload', retryable: false });
    expect(failed.error?.message).toContain('numImages');

    const next = await h.caller.jobs.create({ prompt: 'after the bad one' });
    await eventually(async () => (await h.caller.jobs.get({ id: next.id })).status === 'succeeded');
  });

  it('answers 404 for an image id that does not exist', async () => {
    const response = await h.inject({ method: 'GET', url: '/images/00000000-0000-4000-8000-000000000000' });
    expect(response.statusCode).toBe(404);
  });
});

describe('jobs.events and the exact prompt', () => {
  it('returns the timeline to its owner and the exact prompt of each image', async () => {
    const created = await h.caller.jobs.create({
      prompt: 'a red kite',
      preset: 'cover',
      style: 'watercolor',
      numImages: 2,
    });
    const job = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: created.id });
      return view.status === 'succeeded' ? view : null;
    });
    const events = await h.caller.jobs.events({ id: created.id });

    expect(job.aspectRatio).toBe('2:3');
    expect(events[0]).toMatchObject({ type: 'created' });
    expect(events.at(-1)).toMatchObject({ type: 'finished', data: { status: 'succeeded', succeeded: 2, failed: 0 } });
    expect(job.images.map((image) => image.prompt)).toEqual([
      expect.stringMatching(/^a red kite, book cover illustration.*style: soft watercolor painting/),
      expect.stringMatching(/^a red kite, book cover illustration.*style: soft watercolor painting/),
    ]);
  });
});
