import sharp from 'sharp';

/** Decoding limits for images from outside: sharp refuses more pixels, and gives up after the timeout. */
export interface DecodeLimits {
  /** The most pixels (width x height) decoded; sharp's limitInputPixels. Default sharp's (268402689). */
  maxPixels?: number;
  /** Seconds one decode may take. Default 10. */
  timeoutSeconds?: number;
}

/**
 * The few colours that dominate an image, most common first, as #rrggbb. Cheap: the image is shrunk
 * to 8x8 and its pixels counted after rounding each channel to 8 levels. The whole image is decoded,
 * so a truncated or corrupt one throws (sharp's `failOn: 'warning'`), as does one over `maxPixels`.
 */
export async function paletteOf(image: Buffer, size = 4, limits: DecodeLimits = {}): Promise<string[]> {
  const { data, info } = await sharp(image, {
    failOn: 'warning',
    ...(limits.maxPixels ? { limitInputPixels: limits.maxPixels } : {}),
  })
    .timeout({ seconds: limits.timeoutSeconds ?? 10 })
    .resize(8, 8, { fit: 'cover' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const counts = new Map<string, number>();
  for (let i = 0; i < data.length; i += info.channels) {
    const hex = [data[i]!, data[i + 1]!, data[i + 2]!]
      .map((channel) =>
        Math.min(255, Math.round(channel / 32) * 32)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('');
    counts.set(hex, (counts.get(hex) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, size)
    .map(([hex]) => `#${hex}`);
}
