/**
 * From a user's request to the prompt each image is generated with. Presets add their instructions
 * and defaults; named styles add theirs; seeds vary per image so a job's images differ but repeat
 * exactly for the same request.
 */
import type { AspectRatio, Preset } from './job.js';

export interface PresetDefinition {
  /** Shown in the web app. */
  label: string;
  /** What the preset adds to the user's prompt; every provider receives the result. */
  instructions: string;
  /** Used when the request names no aspect ratio. */
  aspectRatio: AspectRatio;
  /** Added to the negative prompt. */
  avoid: string;
  /**
   * Reference roles the preset is made from (`inputs.references[].role`), each required: submit refuses
   * the preset without them (`presetRolesMissing`). None for text presets.
   */
  roles?: readonly string[];
}

/** The presets, in one table: add a row to add a preset. */
export const PRESET_DEFINITIONS: Record<Preset, PresetDefinition> = {
  'coloring-page': {
    label: 'Coloring page',
    instructions:
      'black-and-white line art for a coloring page, clear closed outlines, no shading, no color, white background',
    aspectRatio: '3:4',
    avoid: 'color, gray fill, shading, gradients, text',
  },
  cover: {
    label: 'Cover',
    instructions: 'book cover illustration, strong central subject, title-safe composition with calm space at the top',
    aspectRatio: '2:3',
    avoid: 'text, letters, watermark, busy top area',
  },
  illustration: {
    label: 'Illustration',
    instructions: 'detailed storybook illustration, rich colors, soft lighting',
    aspectRatio: '1:1',
    avoid: 'text, watermark',
  },
  'character-reference': {
    label: 'Character reference',
    instructions: 'character reference sheet, full body, neutral pose, plain background, consistent design',
    aspectRatio: '3:4',
    avoid: 'busy background, cropped limbs, text',
  },
  background: {
    label: 'Background',
    instructions: 'scenic background plate, no characters, wide establishing view',
    aspectRatio: '16:9',
    avoid: 'people, characters, text',
  },
  photo: {
    label: 'Photo',
    instructions: 'photorealistic photograph, natural light, shallow depth of field',
    aspectRatio: '3:2',
    avoid: 'illustration, cartoon, text, watermark',
  },
  'product-on-model': {
    label: 'Product on a model',
    instructions:
      'fashion photograph of the person from the person image wearing the product from the product image, full body, studio light, the product true to its colours and details',
    aspectRatio: '3:4',
    avoid: 'changed product design, extra logos, text, watermark',
    roles: ['product', 'person'],
  },
  flatlay: {
    label: 'Flatlay',
    instructions:
      'flat lay product photograph of the product from the product image, seen from directly above on a clean surface, soft even light, neatly arranged',
    aspectRatio: '1:1',
    avoid: 'perspective view, people, clutter, text, watermark',
    roles: ['product'],
  },
  'background-swap': {
    label: 'Background swap',
    instructions:
      'the subject from the subject image unchanged, placed in a new background as described, matching light and shadows',
    aspectRatio: '1:1',
    avoid: 'changed subject, extra objects on the subject, text, watermark',
    roles: ['subject'],
  },
};

/**
 * The roles a preset needs that `references` lack, in the preset's order (empty: all there, or a text
 * preset). Roles compare as core normalises them (lowercase, trimmed).
 */
export function presetRolesMissing(preset: Preset, references: readonly { role?: string }[] | undefined): string[] {
  const present = new Set((references ?? []).map((reference) => (reference.role ?? 'subject').trim().toLowerCase()));
  return (PRESET_DEFINITIONS[preset].roles ?? []).filter((role) => !present.has(role));
}

/** Kept for callers that only want the instruction text. */
export const PRESET_INSTRUCTIONS: Record<Preset, string> = Object.fromEntries(
  Object.entries(PRESET_DEFINITIONS).map(([preset, definition]) => [preset, definition.instructions]),
) as Record<Preset, string>;

/** Named styles; a style not named here is passed through as the caller wrote it. */
export const STYLE_PRESETS = {
  watercolor: 'soft watercolor painting, visible paper texture, gentle washes',
  'pencil-sketch': 'graphite pencil sketch, hatching, hand-drawn lines',
  'flat-vector': 'flat vector art, bold shapes, limited palette, clean edges',
  storybook: "classic children's storybook style, warm and whimsical",
  cinematic: 'cinematic lighting, dramatic composition, film still',
  'pixel-art': 'pixel art, 16-bit, crisp pixels',
} as const;
export type StylePreset = keyof typeof STYLE_PRESETS;

export interface PromptParts {
  preset: Preset;
  prompt: string;
  style?: string | null | undefined;
}

/** The exact text sent to the provider for one image. */
export function buildImagePrompt({ preset, prompt, style }: PromptParts): string {
  const styleText = style ? (STYLE_PRESETS[style as StylePreset] ?? style) : null;
  return [prompt, PRESET_DEFINITIONS[preset].instructions, styleText ? `style: ${styleText}` : null]
    .filter(Boolean)
    .join(', ');
}

/** The negative prompt sent with every image: the caller's, plus what the preset avoids. */
export function buildNegativePrompt(preset: Preset, negativePrompt?: string | null): string {
  return [negativePrompt, PRESET_DEFINITIONS[preset].avoid].filter(Boolean).join(', ');
}

/** The aspect ratio a request gets: its own, or its preset's. */
export function aspectRatioFor(preset: Preset, aspectRatio?: AspectRatio): AspectRatio {
  return aspectRatio ?? PRESET_DEFINITIONS[preset].aspectRatio;
}

const MAX_SEED = 2_147_483_647;

/** Image `index`'s seed: spread from the job's seed so neighbouring images are unrelated. */
export function imageSeed(jobSeed: number, index: number): number {
  return (jobSeed + index * 7_919 * 104_729) % MAX_SEED;
}

/** A seed for a request that did not give one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * MAX_SEED);
}
