import { describe, expect, it } from 'vitest';
import { JobInputs, PROVIDER_NAMES, kindOf, providersForKind } from './job.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('job inputs', () => {
  it('gives the kind each combination of inputs makes', () => {
    expect(kindOf(undefined)).toBe('text-to-image');
    expect(kindOf(JobInputs.parse({ references: [{ id: id(1) }] }))).toBe('reference');
    expect(kindOf(JobInputs.parse({ image: id(1) }))).toBe('image-to-image');
    expect(kindOf(JobInputs.parse({ image: id(1), mask: id(2) }))).toBe('inpaint');
    expect(kindOf(JobInputs.parse({ image: id(1), upscale: 4 }))).toBe('upscale');
  });

  it('names the field when an input needs an image it does not have', () => {
    for (const field of ['mask', 'strength', 'upscale'] as const) {
      const value = field === 'mask' ? id(2) : field === 'strength' ? 0.5 : 2;
      const result = JobInputs.safeParse({ [field]: value });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual([field]);
    }
  });

  it('refuses a strength outside 0..1, a third upscale factor and too many references', () => {
    expect(JobInputs.safeParse({ image: id(1), strength: 1.01 }).success).toBe(false);
    expect(JobInputs.safeParse({ image: id(1), upscale: 3 }).success).toBe(false);
    const nine = Array.from({ length: 9 }, (_, i) => ({ id: id(i) }));
    expect(JobInputs.safeParse({ references: nine }).error?.issues[0]?.message).toMatch(/at most 8/);
  });

  it('lists the providers that can do a kind with that many references', () => {
    expect(providersForKind('upscale', 0, PROVIDER_NAMES)).toEqual(['local', 'mock', 'stability', 'replicate']);
    expect(providersForKind('reference', 6, PROVIDER_NAMES)).toEqual(['local', 'mock', 'openai']);
  });
});
