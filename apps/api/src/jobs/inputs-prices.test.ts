/** CREDIT_PRICES per kind (`provider/kind`): what a job with inputs reserves, single and batched. */
import { parsePriceTable } from '@darkroom/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let image: string;
beforeAll(async () => {
  h = await makeHarness({ settings: { prices: parsePriceTable('local:3,mock:1,local/upscale:1,local/inpaint:5') } });
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: 'gray' } })
    .png()
    .toBuffer();
  image = (
    await h.inject({ method: 'POST', url: '/api/v1/assets', headers: { 'content-type': 'image/png' }, payload: png })
  ).json().id;
});
afterAll(() => h.close());

const held = async (jobId: string) => (await h.db.job.findUniqueOrThrow({ where: { id: jobId } })).creditsReserved;

describe('prices per kind', () => {
  it('reserves provider/kind when listed, else the provider price', async () => {
    const upscale = await h.caller.jobs.create({ prompt: 'x', numImages: 2, inputs: { image, upscale: 2 } });
    const inpaint = await h.caller.jobs.create({ prompt: 'x', inputs: { image, mask: image } });
    const vary = await h.caller.jobs.create({ prompt: 'x', inputs: { image } });
    expect([await held(upscale.id), await held(inpaint.id), await held(vary.id)]).toEqual([2, 5, 3]);
    const batch = await h.caller.jobs.createBatch({ requests: [{ prompt: 'y', inputs: { image, upscale: 4 } }] });
    expect(await held(batch.jobs[0]!.id)).toBe(1);
  });

  it('lists the kind prices for quoting before submit', async () => {
    expect((await h.caller.credits.prices()).prices).toMatchObject({ 'local/upscale': 1, 'local/inpaint': 5 });
  });
});
