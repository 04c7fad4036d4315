/**
 * Presets that take inputs (issue 16 point 6): product on a model, flatlay and background swap each name
 * the reference roles they are made from; submit refuses one whose roles are missing with a typed error
 * naming the role, writing nothing; with its roles it is accepted and builds its prompt from them.
 */
import { buildImagePrompt, PRESET_DEFINITIONS, presetRolesMissing } from '@darkroom/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { enabledProviders: ['local', 'mock'] } });
});
afterAll(() => h.close());

const png = (shade: number) =>
  sharp({ create: { width: 40, height: 40, channels: 3, background: { r: shade, g: 30, b: 90 } } })
    .png()
    .toBuffer();
async function upload(body: Buffer): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: '/api/v1/assets',
    headers: { 'content-type': 'image/png' },
    payload: body,
  });
  expect(response.statusCode).toBeLessThan(300);
  return response.json().id;
}
async function written() {
  const [jobs, inputs, entries] = await Promise.all([
    h.db.job.count(),
    h.db.jobInput.count(),
    h.db.creditEntry.count(),
  ]);
  return { jobs, inputs, entries };
}

let product: string;
let person: string;
beforeAll(async () => {
  product = await upload(await png(200));
  person = await upload(await png(90));
});

describe('presets that take inputs', () => {
  it('each names its roles and builds its prompt from them', () => {
    expect(PRESET_DEFINITIONS['product-on-model'].roles).toEqual(['product', 'person']);
    expect(PRESET_DEFINITIONS.flatlay.roles).toEqual(['product']);
    expect(PRESET_DEFINITIONS['background-swap'].roles).toEqual(['subject']);
    expect(PRESET_DEFINITIONS.photo.roles).toBeUndefined();
    const prompt = buildImagePrompt({ preset: 'product-on-model', prompt: 'linen summer dress' });
    expect(prompt).toMatch(
      /^linen summer dress, .*person from the person image wearing the product from the product image/,
    );
    expect(presetRolesMissing('product-on-model', [{ role: ' Product ' }])).toEqual(['person']);
    expect(presetRolesMissing('illustration', undefined)).toEqual([]);
  });

  it('refuses a preset without its roles over tRPC and REST, naming the role, writing nothing', async () => {
    const before = await written();
    await expect(h.caller.jobs.create({ prompt: 'a dress', preset: 'flatlay' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('preset flatlay needs a reference with role product'),
    });
    const response = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: {
        prompt: 'a dress',
        preset: 'product-on-model',
        inputs: { references: [{ id: product, role: 'product' }] },
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'BAD_INPUT',
      details: {
        field: 'inputs.references',
        reason: 'preset_role_missing',
        preset: 'product-on-model',
        role: 'person',
        roles: ['product', 'person'],
      },
    });
    await expect(
      h.caller.jobs.createBatch({
        requests: [
          { prompt: 'fine', preset: 'flatlay', inputs: { references: [{ id: product, role: 'product' }] } },
          { prompt: 'bad', preset: 'background-swap', inputs: { references: [{ id: product, role: 'product' }] } },
        ],
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('requests.1.inputs.references') });
    expect(await written()).toEqual(before);
  });

  it('accepts each preset with its roles as a reference job', async () => {
    const jobs = await Promise.all([
      h.caller.jobs.create({
        prompt: 'linen dress',
        preset: 'product-on-model',
        inputs: {
          references: [
            { id: product, role: 'product' },
            { id: person, role: 'person' },
          ],
        },
      }),
      h.caller.jobs.create({
        prompt: 'sneakers',
        preset: 'flatlay',
        inputs: { references: [{ id: product, role: 'product' }] },
      }),
      h.caller.jobs.create({
        prompt: 'on a beach at dusk',
        preset: 'background-swap',
        inputs: { references: [{ id: product, role: 'subject' }] },
      }),
    ]);
    expect(jobs.map((job) => [job.preset, job.kind, job.inputs.map((input) => input.role)])).toEqual([
      ['product-on-model', 'reference', ['product', 'person']],
      ['flatlay', 'reference', ['product']],
      ['background-swap', 'reference', ['subject']],
    ]);
  });

  it('runs with local, and a job derived from its result runs as photo (its input is the result)', async () => {
    await h.startWorker();
    const job = await h.caller.jobs.create({
      prompt: 'sneakers',
      preset: 'flatlay',
      provider: 'local',
      inputs: { references: [{ id: product, role: 'product' }] },
    });
    const done = await eventually(async () => {
      const view = await h.caller.jobs.get({ id: job.id });
      return view.status === 'succeeded' ? view : null;
    });
    const varied = await h.caller.jobs.vary({ imageId: done.images[0]!.id });
    expect([varied.preset, varied.kind, varied.parentImageId]).toEqual(['photo', 'image-to-image', done.images[0]!.id]);
  });
});
