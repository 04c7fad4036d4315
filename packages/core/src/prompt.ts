/**
 * From a user's request to the prompt each image is generated with. Presets add their instructions;
 * seeds vary per image so a job's images differ but repeat exactly for the same request.
 */
import type { Preset } from './job.js';

/** What each preset adds to the user's prompt. Extend here; every provider receives the result. */
export const PRESET_INSTRUCTIONS: Record<Preset, string> = {
  'coloring-page': 'black-and-white line art for a coloring page, clear closed outlines, no shading, no color, white background',
  cover: 'book cover illustration, strong central subject, title-safe composition with calm space at the top',
  illustration: 'detailed storybook illustration, rich colors, soft lighting',
  'character-reference': 'character reference sheet, full body, neutral pose, plain background, consistent design',
  background: 'scenic background plate, no characters, wide establishing view',
  photo: 'photorealistic photograph, natural light, shallow depth of field',
};

export interface PromptParts {
  preset: Preset;
  prompt: string;
  style?: string | null | undefined;
}

/** The exact text sent to the provider for one image. */
export function buildImagePrompt({ preset, prompt, style }: PromptParts): string {
  return [prompt, PRESET_INSTRUCTIONS[preset], style ? `style: ${style}` : null].filter(Boolean).join(', ');
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
