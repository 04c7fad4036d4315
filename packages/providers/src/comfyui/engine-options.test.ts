import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeComfyUI, type FakeComfyUI } from '../testing/comfyui.js';
import { createComfyUIProvider } from './provider.js';
import { BUILTIN_TXT2IMG, makeTemplate } from './workflow.js';

const base: GenerateRequest = { prompt: 'a fox', preset: 'photo', width: 64, height: 64, seed: 2 };
let fake: FakeComfyUI;
beforeAll(async () => {
  fake = await startFakeComfyUI();
});
afterAll(() => fake.close());

const provider = () => createComfyUIProvider({ urls: [fake.url], pollIntervalMs: 10, steps: 3, cfg: 5 });

describe('comfyui engine options', () => {
  it('sets KSampler steps, cfg and sampler_name from the job over the configured defaults', async () => {
    await provider().generate({ ...base, steps: 4, guidance: 2.5, sampler: 'dpmpp_2m' });
    expect(fake.prompts.at(-1)!.prompt['3']!.inputs).toMatchObject({ steps: 4, cfg: 2.5, sampler_name: 'dpmpp_2m' });
  });

  it('chains LoraLoader nodes after the checkpoint and rewires its MODEL and CLIP readers to the chain end', async () => {
    await provider().generate({
      ...base,
      loras: [
        { name: 'detail-tweaker.safetensors', weight: 0.7 },
        { name: 'styles/ink-wash.safetensors', weight: -1 },
      ],
    });
    const graph = fake.prompts.at(-1)!.prompt;
    expect(graph.darkroom_lora_1!.inputs).toEqual({
      model: ['4', 0],
      clip: ['4', 1],
      lora_name: 'detail-tweaker.safetensors',
      strength_model: 0.7,
      strength_clip: 0.7,
    });
    expect(graph.darkroom_lora_2!.inputs).toMatchObject({
      model: ['darkroom_lora_1', 0],
      clip: ['darkroom_lora_1', 1],
      strength_model: -1,
    });
    expect(graph['3']!.inputs!.model).toEqual(['darkroom_lora_2', 0]);
    expect([graph['6']!.inputs!.clip, graph['7']!.inputs!.clip]).toEqual([
      ['darkroom_lora_2', 1],
      ['darkroom_lora_2', 1],
    ]);
    // The VAE still comes from the checkpoint.
    expect(graph['8']!.inputs!.vae).toEqual(['4', 2]);
  });

  it('an unknown LoRA or sampler is invalid_request naming the node and the value, from ComfyUI itself', async () => {
    const lora = await providerFailure(
      provider().generate({ ...base, loras: [{ name: 'nope.safetensors', weight: 1 }] }),
    );
    expect([lora.code, lora.message]).toEqual([
      'invalid_request',
      expect.stringContaining("node darkroom_lora_1 (LoraLoader): Value not in list: lora_name: 'nope.safetensors'"),
    ]);
    const sampler = await providerFailure(provider().generate({ ...base, sampler: 'warp_drive' }));
    expect(sampler.message).toContain("sampler_name: 'warp_drive' not in");
  });

  it('refuses options a template has no place for', async () => {
    const graph = structuredClone(BUILTIN_TXT2IMG);
    graph['3']!.inputs.steps = 20;
    const fixed = createComfyUIProvider({
      urls: [fake.url],
      templates: new Map([['txt2img', makeTemplate('txt2img', graph)]]),
    });
    const error = await providerFailure(fixed.generate({ ...base, steps: 9 }));
    expect([error.code, error.message]).toEqual([
      'invalid_request',
      'comfyui: workflow txt2img has no {{steps}} placeholder, so it cannot take steps',
    ]);
  });
});
