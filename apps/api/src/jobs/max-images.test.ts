/** MAX_IMAGES_PER_JOB: 32 images a job by default (core), lowered by the operator, never raised past 32. */
import { MAX_IMAGES_PER_JOB } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { loadApiConfig } from '../env.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { maxImagesPerJob: 4 } });
});
afterAll(() => h.close());

describe('MAX_IMAGES_PER_JOB', () => {
  it('is 32 in core, and the operator may lower it but not raise it', () => {
    expect(MAX_IMAGES_PER_JOB).toBe(32);
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x' };
    expect(() => loadApiConfig({ ...base, MAX_IMAGES_PER_JOB: '33' })).toThrow(/MAX_IMAGES_PER_JOB/);
    expect(loadApiConfig({ ...base, MAX_IMAGES_PER_JOB: '4' }).MAX_IMAGES_PER_JOB).toBe(4);
    expect(loadApiConfig(base).MAX_IMAGES_PER_JOB).toBe(32);
  });

  it("refuses more images than the operator's limit, naming it, single and batched, writing nothing", async () => {
    const before = await h.db.job.count();
    const single = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'x', numImages: 5 },
    });
    expect(single.statusCode).toBe(400);
    expect(single.json().error.details).toEqual({ field: 'numImages', limit: 'MAX_IMAGES_PER_JOB', maximum: 4 });
    await expect(
      h.caller.jobs.createBatch({ requests: [{ prompt: 'ok' }, { prompt: 'x', numImages: 5 }] }),
    ).rejects.toMatchObject({ message: expect.stringContaining('at most 4 images') });
    expect(await h.db.job.count()).toBe(before);
    expect((await h.caller.jobs.create({ prompt: 'x', numImages: 4 })).numImages).toBe(4);
  });
});
