/**
 * Jobs derived from one of the caller's result images, each recording it as its parent (lineage):
 * vary (image-to-image from it), upscale (2x or 4x) and edit region (inpaint where a mask asset is
 * white). Each takes the parent job's preset, provider and prompt unless told otherwise.
 */
import { z } from 'zod';
import { InputId } from './inputs.js';
import { MAX_IMAGES_PER_JOB, MAX_PROMPT_LENGTH, ProviderName } from './job-request.js';

const Common = {
  /** The result image to start from (one of the caller's succeeded images). */
  imageId: InputId,
  /** Default: the parent job's provider. */
  provider: ProviderName.optional(),
  numImages: z.number().int().min(1).max(MAX_IMAGES_PER_JOB).default(1),
  idempotencyKey: z.string().trim().min(1).max(255).optional(),
};

export const VaryRequest = z.object({
  ...Common,
  /** How far from the image: 0 keeps it, 1 ignores it. Default DEFAULT_STRENGTH. */
  strength: z.number().min(0).max(1).optional(),
  /** Default: the prompt the parent image was made from. */
  prompt: z.string().trim().min(1).max(MAX_PROMPT_LENGTH).optional(),
});
export type VaryRequest = z.output<typeof VaryRequest>;

export const UpscaleRequest = z.object({
  ...Common,
  numImages: z.literal(1).default(1),
  factor: z.union([z.literal(2), z.literal(4)]).describe('2 or 4'),
});
export type UpscaleRequest = z.output<typeof UpscaleRequest>;

export const EditRegionRequest = z.object({
  ...Common,
  /** An asset of the image's size: white = regenerate, black = keep. */
  maskAssetId: InputId,
  /** What to put where the mask is white. */
  prompt: z.string().trim().min(1, 'prompt must not be empty').max(MAX_PROMPT_LENGTH),
});
export type EditRegionRequest = z.output<typeof EditRegionRequest>;
