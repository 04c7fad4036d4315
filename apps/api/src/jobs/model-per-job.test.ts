/**
 * A job may name the model (checkpoint) a self-hosted engine runs: kept on the job for the worker, and
 * refused at submit for a provider that does not take one, or a name that is not a model name, before
 * anything is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnginesHarness } from '../../test/engines-harness.js';
import type { Harness } from '../../test/harness.js';
import { refusalOf } from '../../test/refusal.js';

let h: Harness;
beforeAll(async () => {
  h = await makeEnginesHarness();
});
afterAll(() => h.close());

describe('model per job', () => {
  it('keeps the model on the job for an engine that takes one', async () => {
    const job = await h.caller.jobs.create({
      prompt: 'a pier',
      provider: 'a1111',
      model: 'sdxl/sd_xl_base_1.0.safetensors',
    });
    expect((await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).model).toBe('sdxl/sd_xl_base_1.0.safetensors');
  });

  it('is refused for a provider that does not take a model, over tRPC and REST, nothing written', async () => {
    const before = await h.db.job.count();
    const error = await refusalOf(h.caller.jobs.create({ prompt: 'a pier', provider: 'local', model: 'anything' }));
    expect([error?.code, error?.message]).toEqual([
      'BAD_REQUEST',
      'provider local does not take a model; providers that do: comfyui, a1111, openai, stability, replicate, fal',
    ]);

    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'a pier', model: 'x' },
    });
    expect(rest.statusCode).toBe(400);
    expect(rest.json().error).toMatchObject({
      code: 'BAD_INPUT',
      details: { field: 'model', reason: 'model_not_accepted' },
    });
    const batch = await refusalOf(
      h.caller.jobs.createBatch({
        requests: [
          { prompt: 'ok', provider: 'comfyui', model: 'a.safetensors' },
          { prompt: 'no', model: 'b' },
        ],
      }),
    );
    expect(batch?.code).toBe('BAD_REQUEST');
    expect(await h.db.job.count()).toBe(before);
  });

  it.each([
    ['too long', 'm'.repeat(201), 'at most 200'],
    ['a path upwards', '../secrets.safetensors', 'without ..'],
    ['an absolute path', '/etc/passwd', 'without ..'],
    ['a control character', 'model\nname', 'letters, digits'],
    ['a LoRA tag', '<lora:x:1>', 'letters, digits'],
  ])('refuses a model that is %s, naming the field', async (_, model, text) => {
    const error = await refusalOf(h.caller.jobs.create({ prompt: 'a pier', provider: 'comfyui', model }));
    expect(error?.code).toBe('BAD_REQUEST');
    expect(error?.message).toContain(text);
  });
});
