import { sizeFor, buildImagePrompt, type AspectRatio, type Preset } from '@darkroom/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isProviderError } from '../errors.js';
import { createLocalProvider } from './provider.js';

const local = createLocalProvider();

function request(prompt: string, options: { seed?: number; preset?: Preset; aspectRatio?: AspectRatio } = {}) {
  const preset = options.preset ?? 'illustration';
  return {
    prompt: buildImagePrompt({ preset, prompt }),
    preset,
    seed: options.seed ?? 7,
    ...sizeFor(options.aspectRatio ?? '1:1', 512),
  };
}

/** Mean absolute difference of two images' pixels at 64x64, 0-255. */
async function pixelDistance(a: Buffer, b: Buffer) {
  const small = (image: Buffer) => sharp(image).resize(64, 64, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [pa, pb] = await Promise.all([small(a), small(b)]);
  let total = 0;
  for (let i = 0; i < pa.length; i++) total += Math.abs(pa[i]! - pb[i]!);
  return total / pa.length;
}

describe('the local provider', () => {
  it.each(['1:1', '16:9', '3:4'] as const)('renders a PNG of exactly the requested %s size', async (aspectRatio) => {
    const size = sizeFor(aspectRatio);
    const image = await local.generate({ ...request('a lighthouse at dusk', { aspectRatio }), ...size });
    const metadata = await sharp(image.bytes).metadata();
    expect(image.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['png', size.width, size.height]);
    expect([image.width, image.height]).toEqual([size.width, size.height]);
  });

  it('gives the same bytes for the same prompt, preset and seed', async () => {
    const a = await local.generate(request('a friendly dragon playing in a garden'));
    const b = await local.generate(request('a friendly dragon playing in a garden'));
    expect(a.bytes.equals(b.bytes)).toBe(true);
  });

  it('draws visibly different pictures for different prompts, and for different seeds', async () => {
    const dragon = await local.generate(request('a friendly dragon playing in a garden'));
    const sea = await local.generate(request('a boat on the sea at night'));
    const dragonSeed2 = await local.generate(request('a friendly dragon playing in a garden', { seed: 8 }));
    expect(await pixelDistance(dragon.bytes, sea.bytes)).toBeGreaterThan(20);
    expect(await pixelDistance(dragon.bytes, dragonSeed2.bytes)).toBeGreaterThan(5);
  });

  it('draws a coloring page as black lines on white', async () => {
    const page = await local.generate(request('a friendly dragon playing in a garden', { preset: 'coloring-page' }));
    const { data, info } = await sharp(page.bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let white = 0;
    let black = 0;
    let colored = 0;
    for (let i = 0; i < data.length; i += info.channels) {
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      const spread = Math.max(r, g, b) - Math.min(r, g, b);
      if (spread > 40) colored++;
      else if (r > 200) white++;
      else if (r < 90) black++;
    }
    const pixels = data.length / info.channels;
    expect(colored / pixels).toBeLessThan(0.01);
    expect(white / pixels).toBeGreaterThan(0.7);
    expect(black / pixels).toBeGreaterThan(0.02);
  });

  it('renders prompts with XML special characters', async () => {
    const image = await local.generate(request(`<script>alert("x") & 'y'</script>`));
    expect((await sharp(image.bytes).metadata()).format).toBe('png');
  });

  it('rejects an aborted request with the canceled code', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await local
      .generate({ ...request('never drawn'), signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isProviderError(error) && error.code).toBe('canceled');
  });
});

describe('the local provider with references', () => {
  it('takes its colours from the reference palette', async () => {
    const { paletteOf } = await import('@darkroom/imaging');
    const plain = await local.generate(request('a quiet valley'));
    const tinted = await local.generate({
      ...request('a quiet valley'),
      references: [{ palette: ['#ff0000', '#ff0000', '#00ff00', '#00ff00'], tags: [] }],
    });
    expect(tinted.bytes.equals(plain.bytes)).toBe(false);
    const colours = await paletteOf(tinted.bytes, 2);
    // Sky red, land green: the two largest areas take the reference's colours.
    expect(colours.sort()).toEqual(['#00ff00', '#ff0000']);
  });
});
