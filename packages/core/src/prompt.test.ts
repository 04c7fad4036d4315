import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRESETS } from './job.js';
import {
  aspectRatioFor,
  buildImagePrompt,
  buildNegativePrompt,
  imageSeed,
  PRESET_DEFINITIONS,
  STYLE_PRESETS,
} from './prompt.js';

describe('prompt building', () => {
  it('adds the preset instructions and expands a named style', () => {
    expect(buildImagePrompt({ preset: 'coloring-page', prompt: 'a dragon', style: 'watercolor' })).toBe(
      `a dragon, ${PRESET_DEFINITIONS['coloring-page'].instructions}, style: ${STYLE_PRESETS.watercolor}`,
    );
  });

  it('passes a free-text style through', () => {
    expect(buildImagePrompt({ preset: 'photo', prompt: 'a cat', style: 'noir' })).toMatch(/, style: noir$/);
  });

  it('always starts with the user prompt and names the preset instructions, for any input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PRESETS), fc.string({ minLength: 1, maxLength: 200 }), (preset, prompt) => {
        const built = buildImagePrompt({ preset, prompt });
        expect(built.startsWith(prompt)).toBe(true);
        expect(built).toContain(PRESET_DEFINITIONS[preset].instructions);
      }),
    );
  });

  it('gives each preset its default aspect ratio unless the request has one', () => {
    expect(aspectRatioFor('cover')).toBe('2:3');
    expect(aspectRatioFor('background')).toBe('16:9');
    expect(aspectRatioFor('cover', '1:1')).toBe('1:1');
  });

  it('adds what the preset avoids to the negative prompt', () => {
    expect(buildNegativePrompt('coloring-page', 'blurry')).toBe(`blurry, ${PRESET_DEFINITIONS['coloring-page'].avoid}`);
  });

  it('spreads seeds: the images of one job all get different, valid seeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_147_483_647 }), (seed) => {
        const seeds = Array.from({ length: 8 }, (_, index) => imageSeed(seed, index));
        expect(new Set(seeds).size).toBe(8);
        expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2_147_483_647)).toBe(true);
      }),
    );
  });
});
