/**
 * Image inputs: what a job is made from besides its prompt (an image to transform, a mask, references),
 * the kinds of job those inputs make, and which kinds each provider can do. The API refuses at submit a
 * kind the job's provider cannot do (`assertKindSupported`), and fallback moves an image only to a
 * provider that can do its kind (`providersForKind`).
 */
import { z } from 'zod';
import type { ProviderName } from './job-request.js';

/**
 * What a job does with its inputs, decided by which inputs it has (`kindOf`):
 * - `text-to-image`: a prompt only;
 * - `image-to-image`: `image` restyled by the prompt, `strength` saying how far from it;
 * - `inpaint`: `image` regenerated only where `mask` is white;
 * - `reference`: new images steered by `references` (a product, a person, a style);
 * - `upscale`: `image` resampled `upscale` times larger.
 */
export const JOB_KINDS = ['text-to-image', 'image-to-image', 'inpaint', 'reference', 'upscale'] as const;
export const JobKind = z.enum(JOB_KINDS);
export type JobKind = z.infer<typeof JobKind>;

/** References one job may name at most. */
export const MAX_INPUT_REFERENCES = 8;
/** How far image-to-image moves from its input when the request does not say: 0 keeps it, 1 ignores it. */
export const DEFAULT_STRENGTH = 0.6;
export const UPSCALE_FACTORS = [2, 4] as const;

/** Roles Darkroom knows; a caller may also give its own label (lowercase, up to 32 characters). */
export const REFERENCE_ROLES = ['subject', 'style', 'product', 'person', 'background'] as const;
export const ReferenceRole = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'role must be a known role or a label of a-z, 0-9, _ and - (up to 32 characters)');
export type ReferenceRole = z.infer<typeof ReferenceRole>;

/**
 * An input names an image the caller owns, by id: one of their assets (uploads) or one of their result
 * images. Another user's id is answered exactly like a missing one.
 */
export const InputId = z.string().uuid('an input must name an asset or image by its id');

export const InputReference = z.object({
  id: InputId,
  role: ReferenceRole.default('subject'),
});
export type InputReference = z.infer<typeof InputReference>;

/**
 * A job's inputs. The mask follows Darkroom's one convention: white = regenerate, black = keep, the same
 * size as `image` (adapters convert it to each vendor's; OpenAI's own surface keeps OpenAI's alpha mask).
 */
export const JobInputs = z
  .object({
    /** The image to transform (image-to-image, inpaint, upscale). */
    image: InputId.optional(),
    /** Where to regenerate `image`: white = regenerate, black = keep. Needs `image`. */
    mask: InputId.optional(),
    references: z
      .array(InputReference)
      .max(MAX_INPUT_REFERENCES, `at most ${MAX_INPUT_REFERENCES} references`)
      .optional(),
    /**
     * `shared`: every image sees all references; `per-image`: image i gets reference i only (one prompt per
     * reference), so numImages must equal the number of references.
     */
    referenceMode: z.enum(['shared', 'per-image']).default('shared'),
    /** Image-to-image: 0 keeps the input, 1 ignores it. Default DEFAULT_STRENGTH. Needs `image`. */
    strength: z.number().min(0).max(1).optional(),
    /** Upscale `image` by this factor. Needs `image`; no mask. */
    upscale: z
      .union([z.literal(2), z.literal(4)])
      .optional()
      .describe('2 or 4'),
  })
  .superRefine((inputs, ctx) => {
    const needsImage = (field: 'mask' | 'strength' | 'upscale') => {
      if (inputs[field] !== undefined && inputs.image === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} needs an image to work on (inputs.image)` });
      }
    };
    needsImage('mask');
    needsImage('strength');
    needsImage('upscale');
    if (inputs.upscale !== undefined && inputs.mask !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['mask'], message: 'an upscale takes no mask' });
    }
    if (inputs.referenceMode === 'per-image' && !inputs.references?.length) {
      ctx.addIssue({ code: 'custom', path: ['referenceMode'], message: 'per-image needs references' });
    }
  });
export type JobInputsInput = z.input<typeof JobInputs>;
export type JobInputs = z.output<typeof JobInputs>;

/** The kind a job's inputs make. */
export function kindOf(inputs: JobInputs | undefined): JobKind {
  if (!inputs?.image) return inputs?.references?.length ? 'reference' : 'text-to-image';
  if (inputs.upscale !== undefined) return 'upscale';
  if (inputs.mask !== undefined) return 'inpaint';
  return 'image-to-image';
}

/** What a provider can do with one kind. */
export interface KindLimits {
  /** References one image may be given (0: none). */
  maxReferences: number;
}

/**
 * Which kinds each provider can do, with their limits. Hosted vendors whose inputs depend on the configured
 * model (Replicate, fal) are declared by their documented mapping; an adapter still refuses, as
 * `invalid_request`, an input its configured model has no field for.
 */
export const PROVIDER_KINDS: Record<ProviderName, Partial<Record<JobKind, KindLimits>>> = {
  local: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: MAX_INPUT_REFERENCES },
    inpaint: { maxReferences: MAX_INPUT_REFERENCES },
    reference: { maxReferences: MAX_INPUT_REFERENCES },
    upscale: { maxReferences: 0 },
  },
  mock: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: MAX_INPUT_REFERENCES },
    inpaint: { maxReferences: MAX_INPUT_REFERENCES },
    reference: { maxReferences: MAX_INPUT_REFERENCES },
    upscale: { maxReferences: 0 },
  },
  // /images/edits takes up to 16 images (the first is the one edited) and one mask.
  openai: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: MAX_INPUT_REFERENCES },
    inpaint: { maxReferences: MAX_INPUT_REFERENCES },
    reference: { maxReferences: MAX_INPUT_REFERENCES },
  },
  // v2beta: generate (image + strength), edit/inpaint, control/style (one reference), upscale.
  stability: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: 0 },
    inpaint: { maxReferences: 0 },
    reference: { maxReferences: 1 },
    upscale: { maxReferences: 0 },
  },
  // The default model per kind (REPLICATE_KIND_MODELS): flux-dev, flux-fill-pro, flux-2-pro (up to 4
  // input_images), nightmareai/real-esrgan.
  replicate: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: 0 },
    inpaint: { maxReferences: 0 },
    reference: { maxReferences: 4 },
    upscale: { maxReferences: 0 },
  },
  // The default model per kind (FAL_KIND_MODELS): flux/dev/image-to-image, flux-pro/v1/fill,
  // flux-pro/kontext/multi (up to 4 image_urls); no upscaler is mapped.
  fal: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: 0 },
    inpaint: { maxReferences: 0 },
    reference: { maxReferences: 4 },
  },
  // Built-in workflow templates; an operator's own templates may serve more.
  comfyui: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: 0 },
    inpaint: { maxReferences: 0 },
  },
  a1111: {
    'text-to-image': { maxReferences: 0 },
    'image-to-image': { maxReferences: 0 },
    inpaint: { maxReferences: 0 },
  },
};

/** The providers (of `among`) that can do `kind` with `references` references. */
export function providersForKind(kind: JobKind, references: number, among: readonly ProviderName[]): ProviderName[] {
  return among.filter((name) => {
    const limits = PROVIDER_KINDS[name][kind];
    return limits !== undefined && references <= limits.maxReferences;
  });
}
