import sharp from 'sharp';

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 256;

/**
 * A small webp of an image for galleries and job cards: at most THUMBNAIL_SIZE on its long side, never
 * enlarged, with transparency kept. Fixed encoder settings, so the same image gives the same bytes.
 */
export async function makeThumbnail(image: Buffer): Promise<{ body: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(image)
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80, effort: 2 })
    .toBuffer({ resolveWithObject: true });
  return { body: data, width: info.width, height: info.height };
}
