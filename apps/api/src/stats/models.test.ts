/** stats.me and stats.global count stored images and processing time per provider and model. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({
    settings: { enabledProviders: ['local', 'comfyui'], prices: { local: 1, comfyui: 1 }, startingCredits: 50 },
  });
});
afterAll(() => h.close());

/** Marks a job's images stored, as a worker would, with the model the engine reported and its call time. */
async function finish(jobId: string, images: { model: string | null; ms: number; provider?: string }[]) {
  const rows = await h.db.image.findMany({ where: { jobId }, orderBy: { index: 'asc' } });
  for (const [index, row] of rows.entries()) {
    const image = images[index]!;
    await h.db.image.update({
      where: { id: row.id },
      data: {
        status: 'succeeded',
        model: image.model,
        durationMs: image.ms,
        provider: image.provider ?? null,
        startedAt: new Date(),
        finishedAt: new Date(),
        storageKey: `fixture/${row.id}.png`,
      },
    });
  }
}

describe('stats per model', () => {
  it('counts images and average time per provider and model, for the caller and for everyone', async () => {
    const me = await h.makeUser('models@example.com');
    const other = await h.makeUser('other-models@example.com');
    const sdxl = await me.caller.jobs.create({
      prompt: 'a',
      provider: 'comfyui',
      model: 'sdxl.safetensors',
      numImages: 2,
    });
    await finish(sdxl.id, [
      { model: 'sdxl.safetensors', ms: 1000 },
      { model: 'sdxl.safetensors', ms: 3000 },
    ]);
    // The engine's default model ran; its second image fell back to local.
    const plain = await me.caller.jobs.create({ prompt: 'b', provider: 'comfyui', numImages: 2 });
    await finish(plain.id, [
      { model: 'v1-5.safetensors', ms: 500 },
      { model: null, ms: 100, provider: 'local' },
    ]);
    const theirs = await other.caller.jobs.create({ prompt: 'c', provider: 'comfyui', model: 'sdxl.safetensors' });
    await finish(theirs.id, [{ model: 'sdxl.safetensors', ms: 2000 }]);

    const mine = await me.caller.stats.me();
    expect(mine['24h'].topModels).toEqual([
      { provider: 'comfyui', model: 'sdxl.safetensors', images: 2, averageImageMs: 2000 },
      { provider: 'comfyui', model: 'v1-5.safetensors', images: 1, averageImageMs: 500 },
      { provider: 'local', model: null, images: 1, averageImageMs: 100 },
    ]);
    const global = await h.admin.caller.stats.global();
    expect(global['24h'].topModels![0]).toEqual({
      provider: 'comfyui',
      model: 'sdxl.safetensors',
      images: 3,
      averageImageMs: 2000,
    });
  });
});
