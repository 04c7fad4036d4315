/**
 * Input schemas of the Replicate models Darkroom maps image inputs for (from their API pages; see
 * ../shared/ENGINES.md §5b), so the fake refuses an input the real model would: an unknown field, a
 * missing required one, or an image field that is neither a data URI of an image nor a URL of a file
 * uploaded to the fake. Also the files API (`POST /v1/files`, multipart `content` + `metadata`).
 */
import { randomUUID } from 'node:crypto';
import type { RecordedRequest } from './fake-http.js';

interface ModelSchema {
  required: string[];
  optional: string[];
  /** Fields holding one image. */
  images: string[];
  /** Fields holding a list of images, with the most each takes. */
  imageLists?: Record<string, number>;
}

const FLUX_TEXT = ['seed', 'output_format', 'safety_tolerance', 'prompt_upsampling', 'aspect_ratio'];
export const REPLICATE_MODEL_SCHEMAS: Record<string, ModelSchema> = {
  'black-forest-labs/flux-dev': {
    required: ['prompt'],
    optional: [
      'prompt_strength',
      'num_outputs',
      'num_inference_steps',
      'guidance',
      'go_fast',
      'megapixels',
      'output_quality',
      'disable_safety_checker',
      ...FLUX_TEXT,
    ],
    images: ['image'],
  },
  'black-forest-labs/flux-kontext-pro': { required: ['prompt'], optional: FLUX_TEXT, images: ['input_image'] },
  'black-forest-labs/flux-fill-pro': {
    required: ['prompt', 'image'],
    optional: ['steps', 'guidance', 'outpaint', ...FLUX_TEXT.filter((field) => field !== 'aspect_ratio')],
    images: ['image', 'mask'],
  },
  'black-forest-labs/flux-2-pro': {
    required: ['prompt'],
    optional: ['resolution', 'width', 'height', 'output_quality', ...FLUX_TEXT],
    images: [],
    imageLists: { input_images: 4 },
  },
  'flux-kontext-apps/multi-image-kontext-pro': {
    required: ['prompt', 'input_image_1', 'input_image_2'],
    optional: FLUX_TEXT,
    images: ['input_image_1', 'input_image_2'],
  },
  'nightmareai/real-esrgan': { required: ['image'], optional: ['scale', 'face_enhance'], images: ['image'] },
};

/** A file uploaded to the fake's files API. */
export interface UploadedFile {
  id: string;
  filename: string;
  type: string;
  bytes: Buffer;
  metadata: unknown;
}

const IMAGE_DATA_URI = /^data:image\/(png|jpeg|webp|gif);base64,[A-Za-z0-9+/]+=*$/;

/** Why the model would refuse `input` (`input.<field>: ...`), or null. Unknown models are not checked. */
export function modelInputRefusal(
  model: string,
  input: Record<string, unknown>,
  fileUrl: (url: string) => UploadedFile | undefined,
): string | null {
  const schema = REPLICATE_MODEL_SCHEMAS[model];
  if (!schema) return null;
  const lists = schema.imageLists ?? {};
  const known = new Set([...schema.required, ...schema.optional, ...schema.images, ...Object.keys(lists)]);
  for (const field of Object.keys(input))
    if (!known.has(field)) return `input.${field}: Additional property ${field} is not allowed`;
  for (const field of schema.required) if (input[field] === undefined) return `input.${field}: ${field} is required`;
  const isImage = (value: unknown) =>
    typeof value === 'string' && (IMAGE_DATA_URI.test(value) || fileUrl(value)?.type.startsWith('image/') === true);
  for (const field of schema.images)
    if (input[field] !== undefined && !isImage(input[field]))
      return `input.${field}: Does not match format 'uri' of an image`;
  for (const [field, max] of Object.entries(lists)) {
    const value = input[field];
    if (value === undefined) continue;
    if (!Array.isArray(value) || value.length > max) return `input.${field}: Must be an array of at most ${max} items`;
    if (!value.every(isImage)) return `input.${field}: Items must be image URIs`;
  }
  const strength = input.prompt_strength;
  if (strength !== undefined && !(typeof strength === 'number' && strength >= 0 && strength <= 1))
    return 'input.prompt_strength: Must be between 0 and 1';
  return null;
}

/** Parses a files-API upload; a refusal message, or the file. */
export async function parseUpload(request: RecordedRequest): Promise<UploadedFile | string> {
  const type = String(request.headers['content-type'] ?? '');
  if (!type.startsWith('multipart/form-data')) return 'Expected multipart/form-data';
  const form = await new Request('http://fake/', {
    method: 'POST',
    headers: { 'content-type': type },
    body: request.body,
  }).formData();
  const content = form.get('content');
  const metadata = form.get('metadata');
  if (!content || typeof content === 'string' || !content.name)
    return 'content: a file part with a filename is required';
  let parsed: unknown = {};
  if (metadata !== null) {
    if (typeof metadata === 'string' || metadata.type !== 'application/json')
      return 'metadata: must be an application/json part';
    try {
      parsed = JSON.parse(await metadata.text());
    } catch {
      return 'metadata: is not JSON';
    }
  }
  return {
    id: randomUUID().replace(/-/g, ''),
    filename: content.name,
    type: content.type,
    bytes: Buffer.from(await content.arrayBuffer()),
    metadata: parsed,
  };
}
