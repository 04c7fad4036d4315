import { describe, expect, it } from 'vitest';
import {
  inputsKind,
  NO_INPUTS,
  providerProblem,
  toJobInputs,
  type InputPicture,
  type InputsState,
} from './inputs-form.js';

const picture = (id: string): InputPicture => ({
  id,
  url: `/assets/${id}/file`,
  thumbnailUrl: null,
  width: 64,
  height: 48,
  name: id,
});
const IMAGE = '00000000-0000-4000-8000-000000000001';
const MASK = '00000000-0000-4000-8000-000000000002';
const REF = '00000000-0000-4000-8000-000000000003';

describe('the form inputs as a JobRequest', () => {
  it('sends nothing without inputs, so the job stays text-to-image', () => {
    expect(toJobInputs(NO_INPUTS)).toBeUndefined();
    expect(inputsKind(NO_INPUTS)).toBe('text-to-image');
  });

  it('sends the strength only for image-to-image, the mask only with its image', () => {
    const withImage: InputsState = { ...NO_INPUTS, image: picture(IMAGE), strength: 0.3 };
    expect(toJobInputs(withImage)).toEqual({ image: IMAGE, strength: 0.3 });
    expect(inputsKind(withImage)).toBe('image-to-image');
    const masked = { ...withImage, mask: { id: MASK, url: '' } };
    expect(toJobInputs(masked)).toEqual({ image: IMAGE, mask: MASK });
    expect(inputsKind(masked)).toBe('inpaint');
    expect(toJobInputs({ ...masked, image: null })).toBeUndefined();
  });

  it('sends references with their roles', () => {
    const state: InputsState = { ...NO_INPUTS, references: [{ picture: picture(REF), role: 'product' }] };
    expect(toJobInputs(state)).toEqual({ references: [{ id: REF, role: 'product' }] });
    expect(inputsKind(state)).toBe('reference');
  });
});

describe('what the chosen provider cannot do, in plain words', () => {
  it('accepts a kind the provider does', () => {
    expect(providerProblem('local', { ...NO_INPUTS, image: picture(IMAGE) })).toBeNull();
    expect(providerProblem('comfyui', NO_INPUTS)).toBeNull();
  });

  it('names the provider, the kind and who can do it instead', () => {
    const references: InputsState = { ...NO_INPUTS, references: [{ picture: picture(REF), role: 'style' }] };
    expect(providerProblem('comfyui', references, ['local', 'comfyui', 'openai'])).toBe(
      'comfyui cannot do reference images. Choose local, openai instead.',
    );
  });

  it('says how many references a provider takes', () => {
    const many: InputsState = {
      ...NO_INPUTS,
      references: Array.from({ length: 5 }, (_, i) => ({ picture: picture(`${REF}${i}`), role: 'subject' })),
    };
    expect(providerProblem('fal', many, ['fal', 'local'])).toBe(
      'fal takes at most 4 reference images for reference images; you added 5. Choose local instead.',
    );
    const withImage = { ...many, image: picture(IMAGE) };
    expect(providerProblem('stability', withImage, ['stability', 'local'])).toBe(
      'stability takes no reference images for image to image; remove them. Choose local instead.',
    );
  });
});
