/**
 * Jobs derived from a result (vary, upscale, edit region) through tRPC and REST: each a job whose input
 * is the result image, recording it as its parent; another user's image answered like a missing one.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let result: { id: string; width: number; height: number };
let parentJob: string;
beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker();
  const job = await h.caller.jobs.create({ prompt: 'a lighthouse on a cliff', provider: 'mock', aspectRatio: '1:1' });
  parentJob = job.id;
  const done = await eventually(async () => {
    const view = await h.caller.jobs.get({ id: job.id });
    return view.status === 'succeeded' ? view : null;
  });
  const image = done.images[0]!;
  result = { id: image.id, width: image.width!, height: image.height! };
});
afterAll(() => h.close());

describe('derived jobs', () => {
  it('varies a result through tRPC: image-to-image from it, with its prompt, recording the parent', async () => {
    const job = await h.caller.jobs.vary({ imageId: result.id, strength: 0.3, numImages: 2 });
    expect(job).toMatchObject({
      kind: 'image-to-image',
      parentImageId: result.id,
      prompt: 'a lighthouse on a cliff',
      provider: 'mock',
      numImages: 2,
      inputOptions: { referenceMode: 'shared', strength: 0.3 },
    });
    expect(job.inputs.map((input) => [input.slot, input.imageId])).toEqual([['image', result.id]]);
  });

  it('upscales a result through REST (POST /api/v1/images/:id/upscale)', async () => {
    const response = await h.inject({
      method: 'POST',
      url: `/api/v1/images/${result.id}/upscale`,
      payload: { factor: 4 },
    });
    expect(response.statusCode).toBe(202);
    const job = await h.caller.jobs.get({ id: response.json().jobId });
    expect([job.kind, job.parentImageId, job.inputOptions?.upscale]).toEqual(['upscale', result.id, 4]);
    const bad = await h.inject({ method: 'POST', url: `/api/v1/images/${result.id}/upscale`, payload: { factor: 3 } });
    expect([bad.statusCode, bad.json().error.details.issues[0].path]).toEqual([400, ['factor']]);
  });

  it('edits a region of a result with a mask asset through REST and tRPC', async () => {
    const maskBytes = await sharp({
      create: { width: result.width, height: result.height, channels: 3, background: 'black' },
    })
      .png()
      .toBuffer();
    const mask = (
      await h.inject({
        method: 'POST',
        url: '/api/v1/assets',
        headers: { 'content-type': 'image/png' },
        payload: maskBytes,
      })
    ).json();
    const response = await h.inject({
      method: 'POST',
      url: `/api/v1/images/${result.id}/edits`,
      payload: { maskAssetId: mask.id, prompt: 'a red roof' },
    });
    expect(response.statusCode).toBe(202);
    const job = await h.caller.jobs.get({ id: response.json().jobId });
    expect([job.kind, job.parentImageId, job.prompt]).toEqual(['inpaint', result.id, 'a red roof']);
    expect(job.inputs.map((input) => [input.slot, input.assetId ?? input.imageId])).toEqual([
      ['image', result.id],
      ['mask', mask.id],
    ]);
    const viaTrpc = await h.caller.jobs.editRegion({ imageId: result.id, maskAssetId: mask.id, prompt: 'a blue roof' });
    expect(viaTrpc.kind).toBe('inpaint');
  });

  it("answers another user's image exactly like a missing one, writing nothing", async () => {
    const stranger = await h.makeUser('someone-else@example.com');
    const missing = '0190a000-0000-7000-8000-000000000000';
    const before = await h.db.job.count();
    const answers = [];
    for (const id of [result.id, missing]) {
      const response = await h.inject({
        method: 'POST',
        url: `/api/v1/images/${id}/variations`,
        headers: stranger.headers,
        payload: {},
      });
      answers.push([
        response.statusCode,
        response.json().error.code,
        response.json().error.message.replace(id, '<id>'),
      ]);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]![0]).toBe(404);
    await expect(stranger.caller.jobs.vary({ imageId: result.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await h.db.job.count()).toBe(before);
    expect(parentJob).toBeTruthy();
  });
});
