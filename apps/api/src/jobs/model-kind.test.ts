/**
 * A named hosted model and the job's kind, checked at submit as each adapter decides at the worker
 * (stability/provider.ts `callFor`, openai/provider.ts `generate`).
 */
import { DomainError } from '@darkroom/core';
import { describe, expect, it } from 'vitest';
import { assertModelAccepted } from './checks.js';

const IMAGE = '0190b7e4-1111-7000-8000-000000000001';
const MASK = '0190b7e4-1111-7000-8000-000000000002';
const reasonOf = (request: Parameters<typeof assertModelAccepted>[0]) => {
  try {
    assertModelAccepted(request, 'model');
    return 'accepted';
  } catch (error) {
    return error instanceof DomainError ? (error.details as { reason: string }).reason : String(error);
  }
};

describe('a named model and the kind of the job', () => {
  it.each([
    ['stability', 'sd3.5-large', undefined, 'accepted'],
    ['stability', 'ultra', undefined, 'accepted'],
    ['stability', 'sd3.5-large', { image: IMAGE }, 'accepted'],
    ['stability', 'ultra', { image: IMAGE }, 'model_cannot_run_kind'],
    ['stability', 'sd3.5-large', { image: IMAGE, mask: MASK }, 'model_cannot_run_kind'],
    ['stability', 'sd3.5-large', { image: IMAGE, upscale: 2 }, 'model_cannot_run_kind'],
    ['stability', 'sd3.5-large', { references: [{ id: IMAGE, role: 'style' }] }, 'model_cannot_run_kind'],
    ['openai', 'dall-e-3', undefined, 'accepted'],
    ['openai', 'dall-e-3', { image: IMAGE }, 'model_cannot_run_kind'],
    ['openai', 'gpt-image-1', { image: IMAGE, mask: MASK }, 'accepted'],
    ['local', 'anything', undefined, 'model_not_accepted'],
  ] as const)('%s %s with inputs %j: %s', (provider, model, inputs, expected) => {
    expect(
      reasonOf({ provider, model, ...(inputs ? { inputs: { referenceMode: 'shared', ...inputs } } : {}) } as never),
    ).toBe(expected);
  });
});
