import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeAs, formatInfo } from './index.js';

const png = () =>
  sharp({ create: { width: 20, height: 10, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0 } } })
    .png()
    .toBuffer();

describe('encodeAs', () => {
  it.each(['jpeg', 'webp', 'png'] as const)('stores a png as %s', async (format) => {
    const out = await encodeAs(await png(), 'image/png', format);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([format, 20, 10]);
  });

  it('leaves bytes already in the format untouched', async () => {
    const source = await png();
    expect(await encodeAs(source, 'image/png', 'png')).toBe(source);
  });

  it('flattens transparency onto white for jpeg', async () => {
    const { data } = await sharp(await encodeAs(await png(), 'image/png', 'jpeg'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)].every((channel) => channel > 240)).toBe(true);
  });

  it('names the content type and extension of each format', () => {
    expect([formatInfo('jpeg'), formatInfo('webp')]).toEqual([
      { mime: 'image/jpeg', extension: 'jpg' },
      { mime: 'image/webp', extension: 'webp' },
    ]);
  });
});
