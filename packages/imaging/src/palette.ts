import sharp from 'sharp';

/**
 * The few colours that dominate an image, most common first, as #rrggbb. Cheap: the image is shrunk
 * to 8x8 and its pixels counted after rounding each channel to 8 levels.
 */
export async function paletteOf(image: Buffer, size = 4): Promise<string[]> {
  const { data, info } = await sharp(image)
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
