import { describe, expect, it } from 'vitest';
import { promptLines, toRequest, type FormState } from './SubmitForm.js';

describe('promptLines', () => {
  it('takes one prompt per non-empty line, trimmed', () => {
    expect(promptLines('a fox\n\n  an owl  \r\n\na frog\n')).toEqual(['a fox', 'an owl', 'a frog']);
    expect(promptLines('\n \n')).toEqual([]);
  });
});

describe('toRequest', () => {
  const form: FormState = {
    preset: 'illustration',
    prompt: 'a fox',
    negativePrompt: '',
    style: '',
    aspectRatio: '',
    numImages: '1',
    priority: 'normal',
    provider: 'comfyui',
    model: 'sd_xl_base_1.0.safetensors',
    quality: '',
    several: false,
  };

  it('sends the model for an engine that takes one, and never for another provider', () => {
    expect(toRequest(form, 'a fox', 'k').model).toBe('sd_xl_base_1.0.safetensors');
    expect(toRequest({ ...form, provider: 'local' }, 'a fox', 'k')).not.toHaveProperty('model');
    expect(toRequest({ ...form, model: '  ' }, 'a fox', 'k')).not.toHaveProperty('model');
  });
});
