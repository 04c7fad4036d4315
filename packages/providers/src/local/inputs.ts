/**
 * What the local provider does with a job's image inputs, one function per kind. The "model" is the
 * scene the prompt draws (scene.ts); the inputs decide where and how much of it shows:
 * - image-to-image: a coloring page is the input's line art; other presets recolour the input toward
 *   the scene's palette (or a style/person reference's), blended by strength;
 * - inpaint: the scene is painted only where the mask is white; black pixels keep their exact bytes;
 * - reference: the scene takes `person`/`style` references' colours, a `background` reference is the
 *   backdrop, and `product`/`subject` (or own-label) references are placed on it;
 * - upscale: a lanczos resample to exactly factor x the size, then a light sharpen.
 */
import { DEFAULT_STRENGTH, type Preset } from '@darkroom/core';
import { paletteOf } from '@darkroom/imaging';
import sharp from 'sharp';
import { ProviderError } from '../errors.js';
import type { GenerateInputs, GenerateRequest, InputImage } from '../provider.js';
import { decodeMask, decodeRgb, encodePng, lineArt, paintInside, restyle } from './pixels.js';
import { buildScene } from './scene.js';

/** Largest image an upscale may produce (pixels), so a 4x of a large input cannot exhaust memory. */
export const MAX_UPSCALE_PIXELS = 64 * 1024 * 1024;
/** Roles whose colours steer the scene; `background` is the backdrop; every other role is placed on it. */
const PALETTE_ROLES = new Set(['person', 'style']);

export interface LocalResult {
  bytes: Buffer;
  width: number;
  height: number;
}

/** The prompt's scene as a PNG of the given size (the text-to-image picture). */
export function renderScene(
  request: Pick<GenerateRequest, 'prompt' | 'preset' | 'style' | 'seed'>,
  width: number,
  height: number,
  palette?: string[],
): Promise<Buffer> {
  const svg = buildScene({
    prompt: request.prompt,
    preset: request.preset,
    seed: request.seed,
    width,
    height,
    ...(request.style ? { style: request.style } : {}),
    ...(palette ? { palette } : {}),
  });
  return sharp(Buffer.from(svg))
    .resize(width, height, { fit: 'fill' })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

/** The colours of the references whose role lends colours (person, style), first such reference first. */
async function referencePalette(inputs: GenerateInputs | undefined): Promise<string[] | undefined> {
  const lending = inputs?.references?.filter((reference) => PALETTE_ROLES.has(reference.role)) ?? [];
  if (lending.length === 0) return undefined;
  const palettes = await Promise.all(lending.map((reference) => paletteOf(reference.image.bytes, 4)));
  return palettes.flat().slice(0, 4);
}

/**
 * Every input decodes in full (a truncated or corrupt file, or one over the pixel bound, is refused as
 * `invalid_request` naming it), so no half-made picture comes out of a bad input.
 */
export async function assertDecodable(inputs: GenerateInputs | undefined): Promise<void> {
  const named: [string, InputImage | undefined][] = [
    ['inputs.image', inputs?.image],
    ['inputs.mask', inputs?.mask],
    ...(inputs?.references ?? []).map((reference, i): [string, InputImage] => [
      `inputs.references[${i}]`,
      reference.image,
    ]),
  ];
  for (const [field, image] of named) {
    if (!image) continue;
    try {
      // Decoded through to pixels, not `.stats()`: libvips' stats let a truncated JPEG pass now and then
      // when other images decode at the same time (see "refuses truncated images decoded side by side").
      await sharp(image.bytes, { failOn: 'error', limitInputPixels: 8192 * 8192 })
        .resize(8, 8, { fit: 'fill' })
        .raw()
        .toBuffer();
    } catch (error) {
      throw new ProviderError('invalid_request', `local: ${field}: not a readable image (${(error as Error).message})`);
    }
  }
}

function needImage(inputs: GenerateInputs | undefined, kind: string): InputImage {
  if (!inputs?.image) throw new ProviderError('invalid_request', `local: inputs.image: ${kind} needs an image`);
  return inputs.image;
}

/** The drawn presets are posterised before recolouring; a photo keeps its continuous tones. */
const LEVELS: Partial<Record<Preset, number>> = { illustration: 6, cover: 8, 'character-reference': 6, background: 8 };

export async function imageToImage(request: GenerateRequest): Promise<LocalResult> {
  const image = needImage(request.inputs, 'image-to-image');
  const strength = request.inputs?.strength ?? DEFAULT_STRENGTH;
  const { width, height } = image;
  if (request.preset === 'coloring-page') {
    const art = await lineArt(image.bytes, width, height, strength);
    return { bytes: await encodePng(art), width, height };
  }
  const palette =
    (await referencePalette(request.inputs)) ?? (await paletteOf(await renderScene(request, 128, 128), 4));
  const styled = restyle(await decodeRgb(image.bytes), palette, strength, LEVELS[request.preset]);
  return { bytes: await encodePng(styled), width, height };
}

export async function inpaint(request: GenerateRequest): Promise<LocalResult> {
  const image = needImage(request.inputs, 'inpaint');
  const maskImage = request.inputs?.mask;
  if (!maskImage) throw new ProviderError('invalid_request', 'local: inputs.mask: an inpaint needs a mask');
  const [original, mask] = await Promise.all([decodeRgb(image.bytes), decodeMask(maskImage.bytes)]);
  if (mask.width !== original.width || mask.height !== original.height) {
    throw new ProviderError(
      'invalid_request',
      `local: inputs.mask: the mask is ${mask.width}x${mask.height}, its image ${original.width}x${original.height}; they must be the same size`,
    );
  }
  const scene = await renderScene(request, original.width, original.height, await referencePalette(request.inputs));
  const painted = paintInside(original, await decodeRgb(scene), mask.data);
  return { bytes: await encodePng(painted), width: original.width, height: original.height };
}

export async function upscale(request: GenerateRequest): Promise<LocalResult> {
  const image = needImage(request.inputs, 'upscale');
  const factor = request.inputs?.upscale ?? 2;
  const width = image.width * factor;
  const height = image.height * factor;
  if (width * height > MAX_UPSCALE_PIXELS) {
    throw new ProviderError(
      'invalid_request',
      `local: inputs.upscale: ${image.width}x${image.height} x${factor} is ${width}x${height}, over the ${MAX_UPSCALE_PIXELS} pixel limit`,
    );
  }
  const bytes = await sharp(image.bytes, { failOn: 'error', limitInputPixels: 8192 * 8192 })
    .removeAlpha()
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .sharpen({ sigma: 0.8 })
    .toColourspace('srgb')
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
  return { bytes, width, height };
}

/** A scene steered by references: their colours, their backdrop, their products placed in it. */
export async function fromReferences(request: GenerateRequest): Promise<LocalResult> {
  const { width, height } = request;
  const references = request.inputs?.references ?? [];
  const backdrop = references.find((reference) => reference.role === 'background');
  const base = backdrop
    ? await sharp(backdrop.image.bytes, { failOn: 'error' })
        .removeAlpha()
        .resize(width, height, { fit: 'cover' })
        .png()
        .toBuffer()
    : await renderScene(request, width, height, await referencePalette(request.inputs));
  const placed = references.filter((reference) => reference !== backdrop && !PALETTE_ROLES.has(reference.role));
  // Placed side by side on the lower part of the picture, each within its share of the width.
  const slot = Math.floor((width * 0.9) / Math.max(1, placed.length));
  const boxHeight = Math.floor(height * 0.5);
  const overlays = await Promise.all(
    placed.map(async (reference, index) => {
      const { data, info } = await sharp(reference.image.bytes, { failOn: 'error' })
        .ensureAlpha()
        .resize(Math.max(1, slot - 8), boxHeight, { fit: 'inside' })
        .png()
        .toBuffer({ resolveWithObject: true });
      const left = Math.floor(width * 0.05) + index * slot + Math.floor((slot - info.width) / 2);
      const top = Math.floor(height * 0.92) - info.height;
      return { input: data, left, top: Math.max(0, top) };
    }),
  );
  const bytes = await sharp(base)
    .composite(overlays)
    .removeAlpha()
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
  return { bytes, width, height };
}
