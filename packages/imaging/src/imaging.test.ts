import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { paletteOf, sniffImage } from './index.js';

const solid = (r: number, g: number, b: number, format: 'png' | 'jpeg' | 'webp' = 'png') =>
  sharp({ create: { width: 16, height: 12, channels: 3, background: { r, g, b } } })
    .toFormat(format)
    .toBuffer();

describe('sniffImage', () => {
  it('reads the format and size from the bytes', async () => {
    expect(await sniffImage(await solid(10, 20, 30, 'webp'))).toEqual({ format: 'webp', width: 16, height: 12 });
    expect(await sniffImage(await solid(10, 20, 30, 'jpeg'))).toEqual({ format: 'jpeg', width: 16, height: 12 });
  });

  it('answers null for bytes that are not an image', async () => {
    expect(await sniffImage(Buffer.from('GIF? no, plain text'))).toBeNull();
  });
});

describe('paletteOf', () => {
  it('names the dominant colour first, rounded to 8 levels a channel', async () => {
    // Three quarters red, one quarter blue.
    const strip = await sharp({ create: { width: 4, height: 12, channels: 3, background: { r: 0, g: 0, b: 250 } } })
      .png()
      .toBuffer();
    const mixed = await sharp({ create: { width: 16, height: 12, channels: 3, background: { r: 250, g: 2, b: 3 } } })
      .composite([{ input: strip, top: 0, left: 0 }])
      .png()
      .toBuffer();
    const palette = await paletteOf(mixed);
    expect(palette[0]).toBe('#ff0000');
    expect(palette.length).toBeGreaterThanOrEqual(2);
    expect(await paletteOf(mixed, 1)).toEqual(['#ff0000']);
  });
});

describe('decoding limits', () => {
  const noisy = () => {
    const noise = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
    return sharp(noise, { raw: { width: 64, height: 64, channels: 3 } });
  };

  it('paletteOf refuses an image over maxPixels, and one cut short', async () => {
    const png = await noisy().png().toBuffer();
    await expect(paletteOf(png, 4, { maxPixels: 64 * 64 - 1 })).rejects.toThrow(/pixel limit/);
    expect(await paletteOf(png, 4, { maxPixels: 64 * 64 })).not.toHaveLength(0);
    const jpeg = await noisy().jpeg().toBuffer();
    await expect(paletteOf(jpeg.subarray(0, jpeg.length / 2))).rejects.toThrow();
  });

  it('sniffImage reads the size of an image far over any pixel limit without decoding it', async () => {
    const png = await noisy().png().toBuffer();
    // Rewrite the header's width and height (the CRC is not checked when only the header is read).
    const huge = Buffer.from(png);
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    expect(await sniffImage(huge)).toEqual({ format: 'png', width: 100_000, height: 100_000 });
  });
});
