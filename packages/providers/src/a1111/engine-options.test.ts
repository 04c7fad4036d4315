import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeA1111, type FakeA1111 } from '../testing/a1111.js';
import { createA1111Provider } from './provider.js';

const AUTH = 'darkroom:s3cret-pass';
const base: GenerateRequest = { prompt: 'a harbour', preset: 'photo', width: 64, height: 64, seed: 5 };
let fake: FakeA1111;
beforeAll(async () => {
  fake = await startFakeA1111({ auth: AUTH });
});
afterAll(() => fake.close());

const provider = () => createA1111Provider({ urls: [fake.url], auth: AUTH, pollIntervalMs: 5, steps: 3 });

describe('a1111 engine options', () => {
  it('sends steps, cfg_scale and the sampler (an alias resolved to its name), and LoRAs as prompt tags', async () => {
    await provider().generate({
      ...base,
      steps: 6,
      guidance: 3.5,
      sampler: 'k_dpmpp_2m',
      loras: [
        { name: 'add_detail', weight: 0.8 },
        { name: 'ink_wash_v2', weight: -1.5 },
      ],
    });
    const job = fake.jobs.at(-1)!;
    expect(job.body).toMatchObject({ steps: 6, cfg_scale: 3.5, sampler_name: 'DPM++ 2M' });
    expect(job.body.prompt).toBe('a harbour <lora:add_detail:0.8> <lora:ink_wash_v2:-1.5>');
    expect(job.loras).toEqual([
      { name: 'add_detail', weight: 0.8 },
      { name: 'ink_wash_v2', weight: -1.5 },
    ]);
  });

  it('refuses an unknown LoRA or sampler listing what the instance has, before any image is made', async () => {
    const made = fake.jobs.length;
    const lora = await providerFailure(provider().generate({ ...base, loras: [{ name: 'nope', weight: 1 }] }));
    expect([lora.code, lora.message]).toEqual([
      'invalid_request',
      `a1111: LoRA "nope" is not on ${fake.url} (it has: add_detail, ink_wash_v2)`,
    ]);
    const sampler = await providerFailure(provider().generate({ ...base, sampler: 'Warp' }));
    expect(sampler.message).toBe(
      `a1111: sampler "Warp" is not on ${fake.url} (it has: Euler a, Euler, DPM++ 2M, DDIM)`,
    );
    expect(fake.jobs.length).toBe(made);
  });
});
