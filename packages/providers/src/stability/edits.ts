/**
 * Which Stability v2beta endpoint takes each kind of job with image inputs, and its multipart form
 * (../shared/ENGINES.md §4; field names from Stability's OpenAPI as generated clients and ComfyUI's
 * Stability nodes send them). Every image goes as a file part with its real content type.
 * - image-to-image: `generate/sd3`, `mode=image-to-image`, `image`, `strength` (0 keeps the input,
 *   1 ignores it, as Darkroom's);
 * - inpaint: `edit/inpaint` with `image` and `mask` (Stability's mask is Darkroom's: white = inpaint,
 *   black = keep, grey partial), or `edit/erase` (no prompt) when the adapter is set to erase;
 * - reference (one): `control/style` for a style-like role, `control/sketch` and `control/structure`
 *   for the roles `sketch` and `structure`;
 * - upscale: `upscale/fast` (4x, no prompt) or `upscale/conservative` (prompt, to about 4 MP); the
 *   adapter resamples the answer to exactly factor x the input.
 */
import { DEFAULT_STRENGTH, type JobKind } from '@darkroom/core';
import { maskToGreyPng } from '@darkroom/imaging';
import { ProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';

export type StabilityInpaintMode = 'inpaint' | 'erase';
export type StabilityUpscaler = 'fast' | 'conservative';

export interface StabilityEditOptions {
  inpaintMode: StabilityInpaintMode;
  upscaler: StabilityUpscaler;
  /** `control/style`'s `fidelity` (0..1): how closely the style reference is followed. */
  styleFidelity: number;
  /** `control/sketch|structure`'s `control_strength` (0..1). */
  controlStrength: number;
  model?: string;
  outputFormat: string;
  aspectRatio: string;
}

/** The role that picks a control endpoint other than `style`. */
const CONTROL_ROLES: Record<string, 'sketch' | 'structure'> = { sketch: 'sketch', structure: 'structure' };
const EXTENSION = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const;

const refuse = (message: string) => new ProviderError('invalid_request', `stability: ${message}`);

function file(form: FormData, name: string, image: InputImage) {
  form.set(name, new Blob([image.bytes], { type: image.mime }), `${name}.${EXTENSION[image.mime]}`);
}

/** Darkroom's mask as a plain greyscale PNG: alpha dropped so Stability reads the luminance only. */
async function greyMask(mask: InputImage): Promise<InputImage> {
  return { ...mask, bytes: await maskToGreyPng(mask.bytes), mime: 'image/png' };
}

/** The endpoint path (after /v2beta/stable-image/) and form for a job with image inputs. */
export async function stabilityEdit(
  request: GenerateRequest,
  kind: Exclude<JobKind, 'text-to-image'>,
  options: StabilityEditOptions,
): Promise<{ path: string; form: FormData }> {
  const inputs = request.inputs ?? {};
  const references = inputs.references ?? [];
  if (kind !== 'reference' && references.length > 0)
    throw refuse(`inputs.references: ${kind} takes no references (got ${references.length})`);
  if (kind !== 'reference' && !inputs.image) throw refuse(`inputs.image: ${kind} needs an image`);
  const form = new FormData();
  const common = (withPrompt: boolean) => {
    if (withPrompt) {
      form.set('prompt', request.prompt);
      if (request.negativePrompt) form.set('negative_prompt', request.negativePrompt);
    }
    if (kind !== 'upscale' || options.upscaler === 'conservative') form.set('seed', String(request.seed));
    form.set('output_format', options.outputFormat);
  };
  switch (kind) {
    case 'image-to-image': {
      file(form, 'image', inputs.image!);
      form.set('mode', 'image-to-image');
      form.set('strength', String(inputs.strength ?? DEFAULT_STRENGTH));
      if (options.model) form.set('model', options.model);
      common(true);
      return { path: 'generate/sd3', form };
    }
    case 'inpaint': {
      if (!inputs.mask) throw refuse('inputs.mask: an inpaint needs a mask');
      const { image, mask } = { image: inputs.image!, mask: inputs.mask };
      if (mask.width !== image.width || mask.height !== image.height)
        throw refuse(
          `inputs.mask: the mask is ${mask.width}x${mask.height}, its image ${image.width}x${image.height}; they must be the same size`,
        );
      file(form, 'image', image);
      file(form, 'mask', await greyMask(mask));
      common(options.inpaintMode === 'inpaint');
      return { path: `edit/${options.inpaintMode}`, form };
    }
    case 'reference': {
      if (inputs.image) throw refuse('inputs.image: a reference job takes references only (use image-to-image)');
      if (references.length !== 1)
        throw refuse(`inputs.references: control endpoints take exactly 1 reference (got ${references.length})`);
      const reference = references[0]!;
      const control = CONTROL_ROLES[reference.role];
      file(form, 'image', reference.image);
      if (control) form.set('control_strength', String(options.controlStrength));
      else {
        form.set('fidelity', String(options.styleFidelity));
        form.set('aspect_ratio', options.aspectRatio);
      }
      common(true);
      return { path: `control/${control ?? 'style'}`, form };
    }
    case 'upscale': {
      if (inputs.mask) throw refuse('inputs.mask: an upscale takes no mask');
      file(form, 'image', inputs.image!);
      common(options.upscaler === 'conservative');
      return { path: `upscale/${options.upscaler}`, form };
    }
  }
}
