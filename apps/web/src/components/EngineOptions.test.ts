import { describe, expect, it } from 'vitest';
import { engineOptionsRequest, NO_ENGINE_CHOICE } from './EngineOptions.js';
import { toRequest, type FormState } from './SubmitForm.js';

const choice = {
  loras: [{ name: 'detail.safetensors', weight: 0.6 }],
  steps: '24',
  guidance: ' 5.5 ',
  sampler: 'dpmpp_2m',
};

describe('engine options in the create form', () => {
  it('sends LoRAs, steps, guidance and sampler for an engine, numbers as numbers, blanks left out', () => {
    expect(engineOptionsRequest('comfyui', choice)).toEqual({
      loras: [{ name: 'detail.safetensors', weight: 0.6 }],
      steps: 24,
      guidance: 5.5,
      sampler: 'dpmpp_2m',
    });
    expect(engineOptionsRequest('a1111', { ...choice, steps: '', loras: [] })).toEqual({
      guidance: 5.5,
      sampler: 'dpmpp_2m',
    });
    expect(engineOptionsRequest('comfyui', NO_ENGINE_CHOICE)).toEqual({});
  });

  it('never sends them for a provider that does not take them', () => {
    const form: FormState = {
      preset: 'illustration',
      prompt: 'a fox',
      negativePrompt: '',
      style: '',
      aspectRatio: '',
      numImages: '1',
      priority: 'normal',
      provider: 'local',
      model: '',
      quality: '',
      several: false,
    };
    expect(toRequest(form, 'a fox', 'k', choice)).not.toHaveProperty('loras');
    expect(toRequest({ ...form, provider: 'a1111' }, 'a fox', 'k', choice)).toMatchObject({ steps: 24 });
  });
});
