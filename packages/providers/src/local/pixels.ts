/**
 * Raw-pixel work for the local provider's image inputs. Everything is 8-bit sRGB with three channels
 * (alpha dropped, never flattened, so the RGB a caller decodes from an input is the RGB worked on) and
 * plain integer arithmetic, so the same input gives the same bytes on any machine.
 */
import sharp from 'sharp';

/** An image as 8-bit RGB rows. */
export interface Rgb {
  data: Buffer;
  width: number;
  height: number;
}

/** Inputs are already sniffed by the caller; this only bounds a decode that would run away. */
const DECODE = { failOn: 'error', limitInputPixels: 8192 * 8192 } as const;

/** The image's RGB, at `size` when given (stretched to it), else at its own size. */
export async function decodeRgb(bytes: Buffer, size?: { width: number; height: number }): Promise<Rgb> {
  let pipeline = sharp(bytes, DECODE).removeAlpha();
  if (size) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A mask as one byte per pixel (its luminance): 0 keeps, 255 regenerates, between blends. */
export async function decodeMask(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes, DECODE)
    .removeAlpha()
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Fixed encoder settings keep the bytes identical for identical pixels. */
export function encodePng(image: Rgb): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

const luma = (data: Buffer, i: number) => (data[i]! * 299 + data[i + 1]! * 587 + data[i + 2]! * 114) / 1000;

/**
 * Line art: edges of the (slightly blurred) image by a Sobel filter on each colour channel (so two
 * colours of equal brightness still meet at a line), drawn pure black on pure white. `strength` 0..1
 * lowers the threshold, so a stronger restyle keeps fainter edges too.
 */
export async function lineArt(bytes: Buffer, width: number, height: number, strength: number): Promise<Rgb> {
  const { data } = await sharp(bytes, DECODE)
    .removeAlpha()
    .resize(width, height, { fit: 'fill' })
    // Stretched contrast: a dark or hazy photo still has its edges found.
    .normalise()
    .blur(1.2)
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const threshold = Math.round(120 - 80 * strength);
  const out = Buffer.alloc(width * height * 3, 255);
  // Edge pixels repeat their neighbour (clamped offsets computed once, not per sample).
  const left = Int32Array.from({ length: width }, (_, x) => Math.max(0, x - 1) * 3);
  const right = Int32Array.from({ length: width }, (_, x) => Math.min(width - 1, x + 1) * 3);
  const row = width * 3;
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * row;
    const mid = y * row;
    const down = Math.min(height - 1, y + 1) * row;
    for (let x = 0; x < width; x++) {
      const l = left[x]!;
      const c = x * 3;
      const r = right[x]!;
      let edge = 0;
      for (let k = 0; k < 3; k++) {
        const gx =
          data[up + r + k]! +
          2 * data[mid + r + k]! +
          data[down + r + k]! -
          (data[up + l + k]! + 2 * data[mid + l + k]! + data[down + l + k]!);
        const gy =
          data[down + l + k]! +
          2 * data[down + c + k]! +
          data[down + r + k]! -
          (data[up + l + k]! + 2 * data[up + c + k]! + data[up + r + k]!);
        edge = Math.max(edge, Math.abs(gx) + Math.abs(gy));
      }
      if (edge >= threshold) out.fill(0, mid + c, mid + c + 3);
    }
  }
  return { data: out, width, height };
}

/** `#rrggbb` -> [r, g, b]. */
export function parseHex(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.replace('#', '').slice(0, 6), 16) || 0;
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * Recolours `image` toward `palette`: each pixel's luminance (posterised to `levels` steps when given,
 * for the drawn presets) is mapped through the palette sorted dark to light, then blended with the
 * original by `strength` (0 keeps the input, 1 is the palette's picture alone).
 */
export function restyle(image: Rgb, palette: string[], strength: number, levels?: number): Rgb {
  const stops = palette
    .map(parseHex)
    .sort((a, b) => a[0] * 299 + a[1] * 587 + a[2] * 114 - (b[0] * 299 + b[1] * 587 + b[2] * 114));
  if (stops.length === 1) stops.push([255, 255, 255]);
  const out = Buffer.alloc(image.data.length);
  const keep = Math.round((1 - strength) * 1024);
  for (let i = 0; i < image.data.length; i += 3) {
    let l = luma(image.data, i) / 255;
    if (levels) l = Math.round(l * (levels - 1)) / (levels - 1);
    const position = l * (stops.length - 1);
    const low = Math.min(stops.length - 2, Math.floor(position));
    const t = position - low;
    for (let c = 0; c < 3; c++) {
      const mapped = Math.round(stops[low]![c]! * (1 - t) + stops[low + 1]![c]! * t);
      out[i + c] = (image.data[i + c]! * keep + mapped * (1024 - keep) + 512) >> 10;
    }
  }
  return { data: out, width: image.width, height: image.height };
}

/**
 * `generated` inside the mask, `original` outside: where the mask is 0 the original's bytes are copied
 * untouched, where it is 255 the generated ones, and grey blends the two.
 */
export function paintInside(original: Rgb, generated: Rgb, mask: Buffer): Rgb {
  const out = Buffer.from(original.data);
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p]!;
    if (m === 0) continue;
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      out[i] = m === 255 ? generated.data[i]! : (original.data[i]! * (255 - m) + generated.data[i]! * m + 127) / 255;
    }
  }
  return { data: out, width: original.width, height: original.height };
}
