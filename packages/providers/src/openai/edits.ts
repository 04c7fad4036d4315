/**
 * `POST /v1/images/edits` (multipart/form-data), as openai-node's `images.edit` sends it
 * (../shared/ENGINES.md §3): one or more `image[]` file parts (the image edited first, then the
 * references; up to 16), an optional `mask` PNG whose fully transparent pixels are the area to edit,
 * and text fields. Every file part carries its real content type: the API refuses
 * `application/octet-stream` ("unsupported mimetype"). The mask converts Darkroom's (white = regenerate)
 * with @darkroom/imaging's maskToAlphaPng (alpha 0 = edit).
 */
import { maskToAlphaPng } from '@darkroom/imaging';
import { ProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';

/** Images one edit takes (the edited one included). */
export const OPENAI_MAX_EDIT_IMAGES = 16;

const EXTENSION = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const;

export interface EditFields {
  model: string;
  size: string;
  quality?: string;
  outputFormat?: string;
  background?: string;
  /** gpt-image-1 and later, not `-mini`: `high` keeps faces, logos and products of the inputs. */
  inputFidelity?: 'high' | 'low';
  /** dall-e-2 only (its default is a URL). */
  responseFormat?: string;
}

/** The multipart body of one edit. Refuses (invalid_request) what the endpoint cannot take. */
export async function editForm(request: GenerateRequest, fields: EditFields): Promise<FormData> {
  const inputs = request.inputs ?? {};
  const images: InputImage[] = [
    ...(inputs.image ? [inputs.image] : []),
    ...(inputs.references ?? []).map((reference) => reference.image),
  ];
  if (images.length === 0)
    throw new ProviderError('invalid_request', 'openai: inputs.image: an edit needs an image or a reference');
  if (images.length > OPENAI_MAX_EDIT_IMAGES)
    throw new ProviderError(
      'invalid_request',
      `openai: inputs.references: ${images.length} images, over the ${OPENAI_MAX_EDIT_IMAGES} an edit takes`,
    );
  const form = new FormData();
  images.forEach((image, index) => {
    const name = index === 0 && inputs.image ? 'image' : `reference-${index}`;
    form.append('image[]', new Blob([image.bytes], { type: image.mime }), `${name}.${EXTENSION[image.mime]}`);
  });
  if (inputs.mask) {
    if (!inputs.image) throw new ProviderError('invalid_request', 'openai: inputs.mask: a mask needs inputs.image');
    if (inputs.mask.width !== inputs.image.width || inputs.mask.height !== inputs.image.height)
      throw new ProviderError(
        'invalid_request',
        `openai: inputs.mask: the mask is ${inputs.mask.width}x${inputs.mask.height}, its image ${inputs.image.width}x${inputs.image.height}; they must be the same size`,
      );
    form.append('mask', new Blob([await maskToAlphaPng(inputs.mask.bytes)], { type: 'image/png' }), 'mask.png');
  }
  form.append('prompt', request.prompt);
  form.append('model', fields.model);
  form.append('n', '1');
  form.append('size', fields.size);
  if (fields.quality) form.append('quality', fields.quality);
  if (fields.outputFormat) form.append('output_format', fields.outputFormat);
  if (fields.background) form.append('background', fields.background);
  if (fields.inputFidelity) form.append('input_fidelity', fields.inputFidelity);
  if (fields.responseFormat) form.append('response_format', fields.responseFormat);
  return form;
}
