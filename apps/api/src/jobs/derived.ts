/**
 * Jobs derived from a result image (vary, upscale, edit region): a JobRequest built from the parent's
 * job with the image as its input, submitted like any other (same checks, credits, lineage recorded by
 * the input resolution: parentImageId is the image).
 */
import {
  DomainError,
  JobRequest,
  PRESET_DEFINITIONS,
  type EditRegionRequest,
  type JobInputsInput,
  type JobView,
  type Preset,
  type UpscaleRequest,
  type VaryRequest,
} from '@darkroom/core';
import type { SubmitOptions } from './options.js';
import { createJob } from './traced.js';

type Derived = { imageId: string; provider?: string; numImages?: number; idempotencyKey?: string; prompt?: string };

async function submitDerived(
  options: SubmitOptions,
  request: Derived,
  inputs: Omit<JobInputsInput, 'image'>,
): Promise<JobView> {
  const { db, user } = options;
  const parent = await db.image.findFirst({
    where: { id: request.imageId, status: 'succeeded', job: { userId: user.id } },
    select: { job: true },
  });
  // Another user's image is answered exactly like a missing one.
  if (!parent) throw new DomainError('NOT_FOUND', `image ${request.imageId} not found`, { field: 'imageId' });
  const { job } = parent;
  const input = JobRequest.parse({
    // An input preset (product on a model, ...) needs its references; a result made from it is a photo.
    preset: PRESET_DEFINITIONS[job.preset as Preset].roles ? 'photo' : job.preset,
    prompt: request.prompt ?? job.prompt,
    ...(job.negativePrompt ? { negativePrompt: job.negativePrompt } : {}),
    ...(job.style ? { style: job.style } : {}),
    ...(job.quality ? { quality: job.quality } : {}),
    aspectRatio: job.aspectRatio,
    outputFormat: job.outputFormat,
    moderation: job.moderation,
    provider: request.provider ?? job.provider,
    numImages: request.numImages ?? 1,
    ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
    inputs: { ...inputs, image: request.imageId },
  });
  return createJob({ ...options, input });
}

/** Image-to-image from a result: variations of it. */
export function varyImage(options: SubmitOptions & { input: VaryRequest }) {
  const { input } = options;
  return submitDerived(options, input, input.strength !== undefined ? { strength: input.strength } : {});
}

/** A result resampled 2x or 4x. */
export function upscaleImage(options: SubmitOptions & { input: UpscaleRequest }) {
  return submitDerived(options, options.input, { upscale: options.input.factor });
}

/** A result regenerated where the mask asset is white (inpaint), from a new prompt. */
export function editImageRegion(options: SubmitOptions & { input: EditRegionRequest }) {
  return submitDerived(options, options.input, { mask: options.input.maskAssetId });
}
