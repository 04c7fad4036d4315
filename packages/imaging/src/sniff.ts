import sharp from 'sharp';

/** What an image's bytes say it is: its format as sharp names it (png, jpeg, webp, gif, svg...) and its size. */
export interface SniffedImage {
  format: string;
  width: number;
  height: number;
}

/**
 * The format and size read from the bytes themselves (a client's content type can lie), or null when
 * they are not an image sharp can read or have no size. Only the header is read, never the pixels, so
 * no pixel limit applies here: a caller compares width x height with its own limit before decoding.
 */
export async function sniffImage(bytes: Buffer): Promise<SniffedImage | null> {
  const metadata = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => null);
  if (!metadata?.format || !metadata.width || !metadata.height) return null;
  return { format: metadata.format, width: metadata.width, height: metadata.height };
}
