/**
 * A job may set LoRAs, steps, guidance and a sampler for a self-hosted engine: kept on the job for the
 * worker, refused at submit (naming the field, the limit or the providers that take it) otherwise,
 * with nothing written.
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

describe('engine options per job', () => {
  it('keeps LoRAs, steps, guidance and sampler on the job for an engine', async () => {
    const job = await h.caller.jobs.create({
      prompt: 'a pier',
      provider: 'comfyui',
      loras: [{ name: 'detail-tweaker.safetensors', weight: 0.6 }],
      steps: 12,
      guidance: 4.5,
      sampler: 'dpmpp_2m',
    });
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.engineOptions).toEqual({
      loras: [{ name: 'detail-tweaker.safetensors', weight: 0.6 }],
      steps: 12,
      guidance: 4.5,
      sampler: 'dpmpp_2m',
    });
    const plain = await h.caller.jobs.create({ prompt: 'a pier', provider: 'comfyui' });
    expect((await h.db.job.findUniqueOrThrow({ where: { id: plain.id } })).engineOptions).toBeNull();
  });

  it.each([
    ['loras', { loras: [{ name: 'x.safetensors' }] }],
    ['steps', { steps: 20 }],
    ['guidance', { guidance: 7 }],
    ['sampler', { sampler: 'euler' }],
  ])('refuses %s for a provider that does not take it, over tRPC and REST, nothing written', async (field, extra) => {
    const before = await h.db.job.count();
    const error = await refusalOf(h.caller.jobs.create({ prompt: 'a pier', provider: 'local', ...extra }));
    expect([error?.code, error?.message]).toEqual([
      'BAD_REQUEST',
      `provider local does not take ${field}; providers that do: comfyui, a1111`,
    ]);
    const rest = await h.inject({ method: 'POST', url: '/api/v1/generations', payload: { prompt: 'x', ...extra } });
    expect(rest.statusCode).toBe(400);
    expect(rest.json().error).toMatchObject({ code: 'BAD_INPUT', details: { field, reason: 'option_not_accepted' } });
    expect(await h.db.job.count()).toBe(before);
  });

  it.each([
    [{ steps: 0 }, 'steps must be at least 1'],
    [{ steps: 151 }, 'steps must be at most 150'],
    [{ guidance: 30.5 }, 'guidance must be at most 30'],
    [{ loras: [{ name: 'a', weight: -3 }] }, 'a LoRA weight must be at least -2'],
    [{ loras: Array.from({ length: 9 }, () => ({ name: 'a' })) }, 'at most 8 LoRAs'],
  ])('refuses %j out of range, naming the limit, nothing written', async (extra, text) => {
    const before = await h.db.job.count();
    const error = await refusalOf(h.caller.jobs.create({ prompt: 'a pier', provider: 'a1111', ...extra }));
    expect(error?.code).toBe('BAD_REQUEST');
    expect(error?.message).toContain(text);
    expect(await h.db.job.count()).toBe(before);
  });
});
