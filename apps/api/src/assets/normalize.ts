/**
 * What an upload becomes before it is stored: checked from its header first (type, pixels: nothing is
 * decoded for a refused file), then decoded once, bounded, with its EXIF orientation applied and every
 * metadata block (EXIF with GPS, XMP, IPTC, comments) dropped, because a phone photo's location must
 * not travel with it to a vendor or back out of a signed link. Lossless formats stay lossless.
 */
import { DomainError, REFERENCE_FORMATS } from '@darkroom/core';
import { paletteOf, sniffImage } from '@darkroom/imaging';
import { makeThumbnail } from '@darkroom/storage';
import sharp from 'sharp';

export type AssetFormat = (typeof REFERENCE_FORMATS)[number];
export const MIME: Record<AssetFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
export const EXTENSION: Record<AssetFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** How long decoding one upload may take before it is refused as too costly. */
const DECODE_TIMEOUT_SECONDS = 20;

export interface UploadLimits {
  maxBytes: number;
  maxPixels: number;
}

export interface NormalizedImage {
  format: AssetFormat;
  body: Buffer;
  width: number;
  height: number;
  palette: string[];
  thumbnail: Buffer;
}

const refuse = (message: string, details: Record<string, unknown>) =>
  new DomainError('BAD_INPUT', message, { field: 'body', ...details });

/** The upload's format and header size, or a typed refusal naming the limit it broke. */
export async function checkUpload(body: Buffer, limits: UploadLimits) {
  if (body.length > limits.maxBytes)
    throw refuse(`an image may be at most ${limits.maxBytes} bytes (got ${body.length})`, {
      limit: 'REFERENCE_MAX_BYTES',
      maximum: limits.maxBytes,
    });
  const sniffed = await sniffImage(body);
  if (!sniffed || !REFERENCE_FORMATS.includes(sniffed.format as AssetFormat))
    throw refuse(`an image must be a PNG, JPEG or WebP; these bytes are ${sniffed?.format ?? 'not an image'}`, {
      reason: 'format',
      accepted: REFERENCE_FORMATS,
    });
  const pixels = sniffed.width * sniffed.height;
  if (pixels > limits.maxPixels)
    throw refuse(
      `an image may have at most ${limits.maxPixels} pixels; this one is ${sniffed.width}x${sniffed.height} (${pixels})`,
      { limit: 'REFERENCE_MAX_PIXELS', maximum: limits.maxPixels, pixels },
    );
  return { ...sniffed, format: sniffed.format as AssetFormat };
}

/** Decodes (refusing truncated or corrupt bytes), orients, strips and re-encodes an upload. */
export async function normalizeUpload(body: Buffer, limits: UploadLimits): Promise<NormalizedImage> {
  const { format } = await checkUpload(body, limits);
  const pipeline = sharp(body, { failOn: 'warning', limitInputPixels: limits.maxPixels })
    .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
    .rotate();
  const encoded =
    format === 'png'
      ? pipeline.png({ compressionLevel: 6 })
      : format === 'jpeg'
        ? pipeline.jpeg({ quality: 92, chromaSubsampling: '4:4:4' })
        : pipeline.webp({ quality: 92 });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true }).catch((error: unknown) => {
    throw refuse(`the image could not be decoded: it is truncated or corrupt (${(error as Error).message})`, {
      reason: 'corrupt',
    });
  });
  const [palette, thumbnail] = await Promise.all([
    paletteOf(data, 4, { maxPixels: limits.maxPixels }),
    makeThumbnail(data),
  ]);
  return { format, body: data, width: info.width, height: info.height, palette, thumbnail: thumbnail.body };
}
