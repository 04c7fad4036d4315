/**
 * Real preview images for the fake engines: a small JPEG or PNG whose colour moves with the step, so a
 * test can tell one preview from the next, as an engine's latent previews differ step to step.
 */
import sharp from 'sharp';

export type PreviewFormat = 'jpeg' | 'png';

/** A 64x64 image of `format` for sampler step `step` of `steps`. */
export async function fakePreviewImage(step: number, steps: number, format: PreviewFormat = 'jpeg'): Promise<Buffer> {
  const shade = Math.round((255 * step) / Math.max(1, steps));
  const image = sharp({
    create: { width: 64, height: 64, channels: 3, background: { r: shade, g: 90, b: 255 - shade } },
  });
  return format === 'png' ? image.png({ compressionLevel: 1 }).toBuffer() : image.jpeg({ quality: 95 }).toBuffer();
}
