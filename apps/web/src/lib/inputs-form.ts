/**
 * The generate form's image inputs as the user builds them (an image, a painted mask, references with
 * roles, a strength), what they send as `JobRequest.inputs`, the kind they make, and in plain words what
 * the chosen provider cannot do with them.
 */
import {
  DEFAULT_STRENGTH,
  kindOf,
  PROVIDER_KINDS,
  providersForKind,
  PROVIDER_NAMES,
  type JobInputsInput,
  type JobKind,
  type ProviderName,
} from '@darkroom/core';

/** An image the form holds: one of the user's assets (an upload) or one of their result images. */
export interface InputPicture {
  id: string;
  url: string;
  thumbnailUrl: string | null;
  width: number;
  height: number;
  /** Shown as the thumbnail's text alternative. */
  name: string;
}

export interface InputsState {
  /** The image to transform (image-to-image, inpaint). */
  image: InputPicture | null;
  /** The uploaded mask asset for `image` (white = regenerate), or null. */
  mask: { id: string; url: string } | null;
  references: { picture: InputPicture; role: string }[];
  strength: number;
}

export const NO_INPUTS: InputsState = { image: null, mask: null, references: [], strength: DEFAULT_STRENGTH };

/** What `JobRequest.inputs` gets; undefined when the form has no inputs (text-to-image). */
export function toJobInputs(state: InputsState): JobInputsInput | undefined {
  if (!state.image && state.references.length === 0) return undefined;
  return {
    ...(state.image ? { image: state.image.id } : {}),
    ...(state.image && state.mask ? { mask: state.mask.id } : {}),
    ...(state.references.length
      ? { references: state.references.map(({ picture, role }) => ({ id: picture.id, role })) }
      : {}),
    ...(state.image && !state.mask ? { strength: state.strength } : {}),
  };
}

export function inputsKind(state: InputsState): JobKind {
  // kindOf reads only presence; referenceMode's default does not matter here.
  return kindOf({ ...toJobInputs(state), referenceMode: 'shared' } as Parameters<typeof kindOf>[0]);
}

export const KIND_WORDS: Record<JobKind, string> = {
  'text-to-image': 'Text to image: a new picture from the prompt',
  'image-to-image': 'Image to image: your image restyled by the prompt',
  inpaint: 'Edit region: only the painted area is made again',
  reference: 'From references: new pictures guided by your images',
  upscale: 'Upscale: your image made larger',
};

const KIND_NAMES: Record<JobKind, string> = {
  'text-to-image': 'text to image',
  'image-to-image': 'image to image',
  inpaint: 'editing a painted region',
  reference: 'reference images',
  upscale: 'upscaling',
};

/** Why `provider` cannot run these inputs, in plain words with what would work; null when it can. */
export function providerProblem(
  provider: ProviderName,
  state: InputsState,
  among: readonly ProviderName[] = PROVIDER_NAMES,
): string | null {
  const kind = inputsKind(state);
  const references = state.references.length;
  const limits = PROVIDER_KINDS[provider][kind];
  if (limits && references <= limits.maxReferences) return null;
  const others = providersForKind(kind, references, among);
  const instead = others.length ? ` Choose ${others.join(', ')} instead.` : '';
  if (!limits) return `${provider} cannot do ${KIND_NAMES[kind]}.${instead}`;
  return limits.maxReferences === 0
    ? `${provider} takes no reference images for ${KIND_NAMES[kind]}; remove them.${instead}`
    : `${provider} takes at most ${limits.maxReferences} reference images for ${KIND_NAMES[kind]}; you added ${references}.${instead}`;
}
