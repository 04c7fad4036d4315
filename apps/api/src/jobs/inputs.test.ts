/**
 * Job inputs at submit (single, batch; tRPC and REST): ids resolved against the caller's assets and
 * result images, kinds checked against what the provider can do, masks against their image, and on
 * every refusal nothing written and no credit reserved.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { enabledProviders: ['local', 'mock', 'stability', 'a1111'] } });
});
afterAll(() => h.close());

const png = (shade: number, width = 64, height = 48) =>
  sharp({ create: { width, height, channels: 3, background: { r: shade, g: shade, b: shade } } })
    .png()
    .toBuffer();
async function upload(body: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: '/api/v1/assets',
    headers: { 'content-type': 'image/png', ...headers },
    payload: body,
  });
  expect(response.statusCode).toBeLessThan(300);
  return response.json().id;
}
const generate = (payload: unknown, headers: Record<string, string> = {}) =>
  h.inject({ method: 'POST', url: '/api/v1/generations', headers, payload: payload as object });

/** Everything a submit could write: jobs, images, inputs, queue entries, ledger entries and the balance. */
async function written(userId = h.user.id) {
  const [jobs, images, inputs, entries, user, queued] = await Promise.all([
    h.db.job.count(),
    h.db.image.count(),
    h.db.jobInput.count(),
    h.db.creditEntry.count({ where: { userId } }),
    h.db.user.findUniqueOrThrow({ where: { id: userId } }),
    h.db.$queryRaw<{ n: bigint }[]>`select count(*) as n from graphile_worker._private_jobs`,
  ]);
  return { jobs, images, inputs, entries, balance: user.creditBalance, queued: Number(queued[0]!.n) };
}

let image: string;
let mask: string;
let small: string;
beforeAll(async () => {
  image = await upload(await png(120));
  mask = await upload(await png(255));
  small = await upload(await png(200, 32, 32));
});

describe('job inputs at submit', () => {
  it('stores an inpaint job with its inputs, kind and URLs, and shows them in the view', async () => {
    const job = await h.caller.jobs.create({
      prompt: 'a red door',
      inputs: { image, mask, references: [{ id: small, role: 'Style' }] },
    });
    expect(job.kind).toBe('inpaint');
    expect(job.parentImageId).toBeNull();
    expect(job.inputs.map((input) => [input.slot, input.position, input.role, input.assetId])).toEqual([
      ['image', 0, null, image],
      ['mask', 0, null, mask],
      ['reference', 0, 'style', small],
    ]);
    const read = await h.caller.jobs.get({ id: job.id });
    expect(read.inputs).toEqual(job.inputs);
    expect(read.inputOptions).toEqual({ referenceMode: 'shared' });
    const file = await h.inject({ method: 'GET', url: read.inputs[0]!.url });
    expect([file.statusCode, file.headers['content-type']]).toEqual([200, 'image/png']);
    const thumbnail = await h.inject({ method: 'GET', url: read.inputs[0]!.thumbnailUrl! });
    expect(thumbnail.statusCode).toBe(200);
    const stranger = await h.makeUser('peeker@example.com');
    const theirs = await h.inject({ method: 'GET', url: read.inputs[0]!.url, headers: stranger.headers });
    expect(theirs.statusCode).toBe(404);
    const notTheirs = await h.inject({
      method: 'POST',
      url: `${read.inputs[0]!.url}/signed-url`,
      headers: stranger.headers,
    });
    expect(notTheirs.statusCode).toBe(404);
    // A signed link opens the input without credentials, like an image's.
    const signed = (await h.inject({ method: 'POST', url: `${read.inputs[0]!.url}/signed-url` })).json();
    const server = await h.server();
    const opened = await server.inject({ method: 'GET', url: signed.url });
    expect([opened.statusCode, opened.headers['content-type']]).toEqual([200, 'image/png']);
    const forged = await server.inject({ method: 'GET', url: signed.url.replace(/signature=[^&]+/, 'signature=AAAA') });
    expect(forged.statusCode).toBe(403);
  });

  it('detaches a deleted asset from the jobs that used it: their views and input files keep working', async () => {
    const used = await upload(await png(77));
    const job = await h.caller.jobs.create({ prompt: 'kept', inputs: { image: used } });
    await h.caller.assets.delete({ id: used });
    await expect(h.caller.assets.get({ id: used })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const view = await h.caller.jobs.get({ id: job.id });
    expect([view.inputs[0]!.assetId, view.inputs[0]!.slot]).toEqual([null, 'image']);
    for (const url of [view.inputs[0]!.url, view.inputs[0]!.thumbnailUrl!])
      expect((await h.inject({ method: 'GET', url })).statusCode).toBe(200);
  });

  it('takes a result image as the input and records it as the parent (lineage)', async () => {
    await h.startWorker();
    const first = await h.caller.jobs.create({ prompt: 'a lighthouse', provider: 'mock' });
    const done = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: first.id });
      return view.status === 'succeeded' ? view : null;
    });
    const result = done.images[0]!.id;
    const derived = await h.caller.jobs.create({ prompt: 'at night', inputs: { image: result, strength: 0.4 } });
    expect([derived.kind, derived.parentImageId, derived.inputs[0]?.imageId]).toEqual([
      'image-to-image',
      result,
      result,
    ]);
    expect(derived.inputOptions).toEqual({ referenceMode: 'shared', strength: 0.4 });
    // Settled before the next test counts what submits write.
    await eventually(async () => (await h.caller.jobs.get({ id: derived.id })).status === 'succeeded');
  });

  it("answers another user's asset exactly like a missing id, naming the field, writing nothing", async () => {
    const stranger = await h.makeUser('owner-of-elsewhere@example.com');
    const theirs = await upload(await png(33), stranger.headers);
    const missing = '0190a000-0000-7000-8000-000000000000';
    const before = await written();
    const answers = [];
    for (const id of [theirs, missing]) {
      const response = await generate({
        prompt: 'x',
        inputs: { references: [{ id: image }, { id: small }, { id }] },
      });
      answers.push([response.statusCode, response.json().error.code, response.json().error.details.field]);
      expect(response.json().error.message.replace(id, '<id>')).toBe('inputs.references.2.id: no asset or image <id>');
    }
    expect(answers).toEqual([
      [404, 'NOT_FOUND', 'inputs.references.2.id'],
      [404, 'NOT_FOUND', 'inputs.references.2.id'],
    ]);
    expect(await written()).toEqual(before);
  });

  it('refuses a mask of another size than its image, naming both sizes, writing nothing', async () => {
    const before = await written();
    const response = await generate({ prompt: 'x', inputs: { image, mask: small } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toMatchObject({
      field: 'inputs.mask',
      image: { width: 64, height: 48 },
      mask: { width: 32, height: 32 },
    });
    expect(await written()).toEqual(before);
  });

  it('refuses a kind the provider cannot do, naming the provider, the kind and who can', async () => {
    const before = await written();
    const response = await generate({ prompt: 'x', provider: 'a1111', inputs: { references: [{ id: image }] } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual({
      field: 'provider',
      reason: 'kind_not_supported',
      provider: 'a1111',
      kind: 'reference',
      providers: ['local', 'mock', 'stability'],
    });
    expect(await written()).toEqual(before);
  });

  it('refuses more references than the provider takes for the kind, naming the limit', async () => {
    const response = await generate({
      prompt: 'x',
      provider: 'stability',
      inputs: { references: [{ id: image }, { id: small }] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toMatchObject({
      field: 'inputs.references',
      reason: 'too_many_references',
      maximum: 1,
      providers: ['local', 'mock'],
    });
  });

  it('refuses per-image references whose count is not numImages, and a mask without an image', async () => {
    const perImage = await generate({
      prompt: 'x',
      numImages: 3,
      inputs: { referenceMode: 'per-image', references: [{ id: image }, { id: small }] },
    });
    expect(perImage.json().error.details).toMatchObject({ field: 'numImages', expected: 2, got: 3 });
    const maskOnly = await generate({ prompt: 'x', inputs: { mask } });
    expect(maskOnly.statusCode).toBe(400);
    expect(maskOnly.json().error.details.issues[0].path).toEqual(['inputs', 'mask']);
    const strength = await generate({ prompt: 'x', inputs: { image, strength: 1.5 } });
    expect(strength.json().error.details.issues[0].path).toEqual(['inputs', 'strength']);
  });

  it('refuses a batch whose second request names a missing input, writing none of it', async () => {
    const before = await written();
    await expect(
      h.caller.jobs.createBatch({
        requests: [
          { prompt: 'fine', inputs: { image } },
          { prompt: 'bad', inputs: { image, references: [{ id: '0190a000-0000-7000-8000-000000000001' }] } },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('requests.1.inputs.references.0.id'),
    });
    expect(await written()).toEqual(before);
    const batch = await h.caller.jobs.createBatch({
      requests: [{ prompt: 'one', inputs: { image } }, { prompt: 'two' }],
    });
    expect(batch.jobs.map((job) => [job.kind, job.inputs.length])).toEqual([
      ['image-to-image', 1],
      ['text-to-image', 0],
    ]);
  });
});
