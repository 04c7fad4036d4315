/**
 * `local` renders the presets that take inputs (issue 16 point 6): the product (or subject) reference is
 * placed on the generated scene, a person reference lends its colours, and each preset's picture differs.
 */
import { buildImagePrompt, PRESET_DEFINITIONS, type Preset } from '@darkroom/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { InputImage } from '../provider.js';
import { createLocalProvider } from './provider.js';

const local = createLocalProvider();
const square = async (colour: string, size: number): Promise<InputImage> => ({
  bytes: await sharp({ create: { width: size, height: size, channels: 4, background: colour } })
    .png()
    .toBuffer(),
  mime: 'image/png',
  width: size,
  height: size,
});

describe('local with the input presets', () => {
  it('places the product or subject on each preset’s scene, built from the preset’s prompt', async () => {
    const product = await square('#ff00ff', 60);
    const person = await square('#00c0c0', 20);
    const images = new Map<Preset, Buffer>();
    for (const preset of ['product-on-model', 'flatlay', 'background-swap'] as const) {
      const roles = PRESET_DEFINITIONS[preset].roles!;
      const result = await local.generate({
        prompt: buildImagePrompt({ preset, prompt: 'a linen dress' }),
        preset,
        width: 256,
        height: 256,
        seed: 5,
        kind: 'reference',
        inputs: { references: roles.map((role) => ({ role, image: role === 'person' ? person : product })) },
      });
      const { data, info } = await sharp(result.bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let magenta = 0;
      for (let i = 0; i < data.length; i += 3)
        if (data[i] === 255 && data[i + 1] === 0 && data[i + 2] === 255) magenta++;
      // The 60x60 product (or subject) is in the picture.
      expect(magenta, preset).toBeGreaterThan(info.width * info.height * 0.02);
      images.set(preset, result.bytes);
    }
    const [a, b, c] = [...images.values()];
    expect(a!.equals(b!) || b!.equals(c!) || a!.equals(c!)).toBe(false);
  });
});
