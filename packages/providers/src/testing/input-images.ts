/** Input images for engine tests: a photo-like PNG and a mask whose left half is white (regenerate). */
import sharp from 'sharp';
import type { InputImage } from '../provider.js';

export async function inputPhoto(width = 64, height = 48): Promise<InputImage> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .png()
    .toBuffer();
  return { bytes, mime: 'image/png', width, height };
}

/** White (regenerate) on the left half, black (keep) on the right; `transparentRight` makes the right half transparent instead. */
export async function leftHalfMask(width = 64, height = 48, transparentRight = false): Promise<InputImage> {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const white = x < width / 2;
      rgba.fill(white ? 255 : 0, i, i + 3);
      rgba[i + 3] = white || !transparentRight ? 255 : 0;
    }
  const bytes = await sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
  return { bytes, mime: 'image/png', width, height };
}

/** One channel of `png` at (x, y). */
export async function pixel(png: Buffer, x: number, y: number, channel: number): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return data[(y * info.width + x) * info.channels + channel]!;
}
