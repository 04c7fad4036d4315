import type { OutputFormat } from '@darkroom/core';
import sharp from 'sharp';

const MIME: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
const EXTENSION: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** The content type and key extension of a format. */
export function formatInfo(format: OutputFormat): { mime: string; extension: string } {
  return { mime: MIME[format], extension: EXTENSION[format] };
}

/**
 * The image in `format`: untouched when it already is, re-encoded otherwise (a vendor that only makes
 * png for a job that asked for webp). jpeg has no alpha, so transparency is flattened onto white.
 */
export async function encodeAs(bytes: Buffer, mime: string, format: OutputFormat): Promise<Buffer> {
  if (mime === MIME[format]) return bytes;
  const image = sharp(bytes);
  if (format === 'jpeg') return image.flatten({ background: '#ffffff' }).jpeg({ quality: 92 }).toBuffer();
  if (format === 'webp') return image.webp({ quality: 92 }).toBuffer();
  return image.png().toBuffer();
}
