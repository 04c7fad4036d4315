import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { maskToAlphaPng, maskToGreyPng } from './index.js';

/** White (regenerate) left half, mid grey top-right quarter, black (keep) bottom-right, with alpha. */
async function mask() {
  const white = await sharp({ create: { width: 8, height: 8, channels: 4, background: '#ffffffff' } })
    .png()
    .toBuffer();
  const grey = await sharp({ create: { width: 8, height: 4, channels: 4, background: '#909090ff' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 16, height: 8, channels: 4, background: '#000000ff' } })
    .composite([
      { input: white, left: 0, top: 0 },
      { input: grey, left: 8, top: 0 },
    ])
    .png()
    .toBuffer();
}

const pixel = async (png: Buffer, x: number, y: number) => {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return [...data.subarray((y * 16 + x) * info.channels, (y * 16 + x + 1) * info.channels)];
};

describe('mask conversions', () => {
  it('alpha convention: white becomes transparent, black opaque, grey over half transparent', async () => {
    const png = await maskToAlphaPng(await mask());
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
    expect((await pixel(png, 2, 2))[3]).toBe(0);
    expect((await pixel(png, 12, 6))[3]).toBe(255);
    expect((await pixel(png, 12, 1))[3]).toBe(0);
  });

  it('grey convention: the luminance kept, the alpha dropped', async () => {
    const png = await maskToGreyPng(await mask());
    const metadata = await sharp(png).metadata();
    expect([metadata.hasAlpha, metadata.channels]).toEqual([false, 1]);
    expect((await pixel(png, 2, 2))[0]).toBe(255);
    expect((await pixel(png, 12, 6))[0]).toBe(0);
    expect((await pixel(png, 12, 1))[0]).toBe(0x90);
  });
});
