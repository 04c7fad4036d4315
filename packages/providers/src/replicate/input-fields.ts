/**
 * Hosted model marketplaces (Replicate, fal) take image inputs as fields of the model's own input,
 * named differently by each model. A job's kind picks a model (`*_KIND_MODELS`, overridable per
 * adapter), and that model's entry (`*_INPUT_FIELDS`, overridable and extendable per adapter) says
 * which field takes the image, the mask, the strength, the references and the upscale factor. An input
 * the chosen model has no field for is refused as `invalid_request` naming it, before any call.
 * Sources: ../shared/ENGINES.md §5, the models' API pages.
 */
import type { JobKind } from '@darkroom/core';
import { maskToGreyPng } from '@darkroom/imaging';
import { ProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';

export interface ModelInputFields {
  /** Field for the image to transform. */
  image?: string;
  /** Field for the mask; the model must read white = regenerate, black = keep (sent as a grey PNG). */
  mask?: string;
  /** Field for image-to-image strength, in Darkroom's direction (0 keeps the input, 1 ignores it). */
  strength?: string;
  /**
   * Field(s) for references: `single` one image in `field`, `list` an array in `field`, `numbered`
   * one field each, `field` holding `{n}` (1-based). At most `max`.
   */
  references?: { field: string; as: 'single' | 'list' | 'numbered'; max: number };
  /** Field for the upscale factor. */
  scale?: string;
  /** false for models without a prompt (upscalers): only their image fields are sent. Default true. */
  prompt?: boolean;
  /** Field for the negative prompt; a listed model without one is sent none. */
  negativePrompt?: string;
  /**
   * How a reference job's output shape is sent: `aspect_ratio` (a ratio string) or `image_size`
   * ({width, height}). Default: the vendor's text-to-image way (Replicate aspect_ratio, fal image_size).
   */
  shape?: 'aspect_ratio' | 'image_size';
}

export type InputFieldTable = Record<string, ModelInputFields>;
export type KindModels = Partial<Record<Exclude<JobKind, 'text-to-image'>, string>>;

/** Replicate's official models by kind; text-to-image stays the adapter's `model`. */
export const REPLICATE_KIND_MODELS: KindModels = {
  'image-to-image': 'black-forest-labs/flux-dev',
  inpaint: 'black-forest-labs/flux-fill-pro',
  reference: 'black-forest-labs/flux-2-pro',
  upscale: 'nightmareai/real-esrgan',
};

export const REPLICATE_INPUT_FIELDS: InputFieldTable = {
  'black-forest-labs/flux-dev': { image: 'image', strength: 'prompt_strength' },
  'black-forest-labs/flux-kontext-pro': {
    image: 'input_image',
    references: { field: 'input_image', as: 'single', max: 1 },
  },
  'black-forest-labs/flux-kontext-max': {
    image: 'input_image',
    references: { field: 'input_image', as: 'single', max: 1 },
  },
  'flux-kontext-apps/multi-image-kontext-pro': { references: { field: 'input_image_{n}', as: 'numbered', max: 2 } },
  'flux-kontext-apps/multi-image-kontext-max': { references: { field: 'input_image_{n}', as: 'numbered', max: 2 } },
  'black-forest-labs/flux-fill-pro': { image: 'image', mask: 'mask' },
  'black-forest-labs/flux-fill-dev': { image: 'image', mask: 'mask' },
  'black-forest-labs/flux-2-pro': { references: { field: 'input_images', as: 'list', max: 4 } },
  'black-forest-labs/flux-1.1-pro': { references: { field: 'image_prompt', as: 'single', max: 1 } },
  'nightmareai/real-esrgan': { image: 'image', scale: 'scale', prompt: false },
};

/** fal's model ids by kind; text-to-image stays the adapter's `model`. */
export const FAL_KIND_MODELS: KindModels = {
  'image-to-image': 'fal-ai/flux/dev/image-to-image',
  inpaint: 'fal-ai/flux-pro/v1/fill',
  reference: 'fal-ai/flux-pro/kontext/multi',
};

export const FAL_INPUT_FIELDS: InputFieldTable = {
  'fal-ai/flux/dev/image-to-image': { image: 'image_url', strength: 'strength' },
  'fal-ai/flux-pro/kontext': { image: 'image_url', references: { field: 'image_url', as: 'single', max: 1 } },
  'fal-ai/flux-pro/kontext/max': { image: 'image_url', references: { field: 'image_url', as: 'single', max: 1 } },
  'fal-ai/flux-pro/kontext/multi': { references: { field: 'image_urls', as: 'list', max: 4 }, shape: 'aspect_ratio' },
  'fal-ai/flux-pro/kontext/max/multi': {
    references: { field: 'image_urls', as: 'list', max: 4 },
    shape: 'aspect_ratio',
  },
  'fal-ai/flux-pro/v1/fill': { image: 'image_url', mask: 'mask_url' },
};

/** The model a request runs on: the kind's (override first, then the default table), else `textModel`. */
export function modelForKind(
  request: GenerateRequest,
  textModel: string,
  defaults: KindModels,
  overrides?: KindModels,
) {
  const kind = request.kind ?? 'text-to-image';
  if (kind === 'text-to-image') return textModel;
  return overrides?.[kind] ?? defaults[kind] ?? textModel;
}

/** Turns an input image into the value a model field takes (a data URI or an uploaded file's URL). */
export type PlaceImage = (image: InputImage, name: string) => Promise<string>;

/**
 * The model input fields carrying a request's image inputs, each image placed by `place`. Refuses
 * (invalid_request naming the input and the model) what the model has no field for.
 */
export async function imageInputFields(
  request: GenerateRequest,
  vendor: string,
  model: string,
  fields: ModelInputFields | undefined,
  place: PlaceImage,
): Promise<Record<string, unknown>> {
  const inputs = request.inputs ?? {};
  const kind = request.kind ?? 'text-to-image';
  const refuse = (input: string, why: string) =>
    new ProviderError('invalid_request', `${vendor}: inputs.${input}: ${why} (model ${model})`);
  const missing = (input: string) => refuse(input, 'the model has no field for it; map one in the input-field table');
  const out: Record<string, unknown> = {};
  if (kind !== 'text-to-image' && kind !== 'reference' && !inputs.image)
    throw refuse('image', `${kind} needs an image`);
  if (inputs.image) {
    if (!fields?.image) throw missing('image');
    out[fields.image] = await place(inputs.image, 'image');
  }
  if (inputs.mask) {
    if (!fields?.mask) throw missing('mask');
    const image = inputs.image!;
    if (inputs.mask.width !== image.width || inputs.mask.height !== image.height)
      throw refuse(
        'mask',
        `the mask is ${inputs.mask.width}x${inputs.mask.height}, its image ${image.width}x${image.height}`,
      );
    const grey: InputImage = { ...inputs.mask, bytes: await maskToGreyPng(inputs.mask.bytes), mime: 'image/png' };
    out[fields.mask] = await place(grey, 'mask');
  } else if (kind === 'inpaint') throw refuse('mask', 'an inpaint needs a mask');
  if (inputs.strength !== undefined) {
    if (!fields?.strength) throw missing('strength');
    out[fields.strength] = inputs.strength;
  }
  if (kind === 'upscale') {
    if (!fields?.scale) throw missing('upscale');
    out[fields.scale] = inputs.upscale ?? 2;
  }
  const references = inputs.references ?? [];
  if (references.length > 0) {
    const spec = fields?.references;
    if (!spec) throw missing('references');
    // A model whose one image field serves both takes the edited image or a reference, not both.
    const taken = inputs.image && spec.field === fields.image ? 1 : 0;
    if (references.length + taken > spec.max)
      throw refuse('references', `${references.length} given, the model takes at most ${spec.max - taken}`);
    const urls = await Promise.all(references.map((reference, i) => place(reference.image, `reference-${i}`)));
    if (spec.as === 'single') out[spec.field] = urls[0];
    else if (spec.as === 'list') out[spec.field] = urls;
    else urls.forEach((url, i) => (out[spec.field.replace('{n}', String(i + 1))] = url));
  }
  return out;
}

/** A model's entry: by the exact name, else without its `:version`, else without `deployment:`. */
export function fieldsOf(table: InputFieldTable, model: string): ModelInputFields | undefined {
  return table[model] ?? table[model.split(':')[0]!] ?? table[model.replace(/^deployment:/, '')];
}

/** `data:<mime>;base64,...` */
export function dataUri(image: InputImage): string {
  return `data:${image.mime};base64,${image.bytes.toString('base64')}`;
}
