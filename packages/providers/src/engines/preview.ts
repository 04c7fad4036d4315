/**
 * Preview bytes as engines and vendors send them: the format is read from the bytes' signature, not from
 * what the sender declares, so a frame that is not a png, jpeg or webp image is dropped before the worker
 * spends a decode on it.
 */
import type { EnginePreview, ImageMime } from '../provider.js';

/** Largest preview accepted from an engine; a real one is a few hundred KB (ComfyUI caps at 512 px). */
export const MAX_PREVIEW_BYTES = 8 * 1024 * 1024;

/** The image format of `bytes` by its signature, or undefined when it is none Darkroom reads. */
export function previewMime(bytes: Buffer): ImageMime | undefined {
  if (bytes.length < 12 || bytes.length > MAX_PREVIEW_BYTES) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** A preview of `bytes` with the step it shows, or undefined when the bytes are no image. */
export function previewOf(bytes: Buffer, step?: { value: number; max: number }): EnginePreview | undefined {
  const mime = previewMime(bytes);
  if (!mime) return undefined;
  return { bytes, mime, ...(step && step.max > 0 ? { step: step.value, steps: step.max } : {}) };
}

/** The bytes of a base64 image, bare or as a `data:image/...;base64,` URL; undefined when it is not base64. */
export function bytesOfBase64(text: string): Buffer | undefined {
  const bare = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
  if (bare.length === 0 || bare.length > (MAX_PREVIEW_BYTES * 4) / 3 + 4 || !/^[A-Za-z0-9+/]+={0,2}$/.test(bare))
    return undefined;
  return Buffer.from(bare, 'base64');
}
