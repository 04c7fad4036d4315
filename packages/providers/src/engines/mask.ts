/**
 * Darkroom's mask (white = regenerate, black = keep, the size of the image) in the two forms the
 * engines read. Grey levels are kept: both engines treat them as partial strength or threshold them.
 */
import sharp from 'sharp';
import type { InputImage } from '../provider.js';

/** The mask's luminance, one byte per pixel, at `width` x `height`; transparent pixels count as black (keep). */
async function luminance(mask: InputImage, width: number, height: number): Promise<Buffer> {
  return sharp(mask.bytes)
    .flatten({ background: '#000000' })
    .resize(width, height, { fit: 'fill' })
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer();
}

/**
 * An RGBA PNG whose alpha is the inverted mask (transparent = regenerate), for ComfyUI's `/upload/mask`:
 * it copies this alpha into the original image, and LoadImage/LoadImageMask read MASK = 1 - alpha.
 */
export async function maskAsAlpha(mask: InputImage, width: number, height: number): Promise<Buffer> {
  const grey = await luminance(mask, width, height);
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < grey.length; i++) rgba[i * 4 + 3] = 255 - grey[i]!;
  return sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/**
 * An opaque greyscale PNG, white = regenerate, for A1111's `mask`: a mask with any transparency would
 * be read from its alpha instead (opaque = repaint), the opposite of what a transparent-black pixel means.
 */
export async function maskAsOpaqueGrey(mask: InputImage, width: number, height: number): Promise<Buffer> {
  const grey = await luminance(mask, width, height);
  return sharp(grey, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}
