/**
 * The fake fal's image inputs: input schemas of the models Darkroom maps (from their llms.txt pages,
 * ../shared/ENGINES.md §5a), so a submit with an unknown field, a missing required one, or an image
 * field that is neither an image data URI nor an uploaded file's URL is refused with fal's 422; and
 * fal's storage (`POST /storage/upload/initiate`, then `PUT` the bytes to the answered URL).
 */
import { randomUUID } from 'node:crypto';
import type { FakeReply, RecordedRequest } from './fake-http.js';

interface FalSchema {
  required: string[];
  optional: string[];
  images: string[];
  imageLists?: Record<string, number>;
}

const COMMON = ['seed', 'num_images', 'output_format', 'sync_mode', 'enable_safety_checker', 'safety_tolerance'];
export const FAL_MODEL_SCHEMAS: Record<string, FalSchema> = {
  'fal-ai/flux/dev/image-to-image': {
    required: ['prompt', 'image_url'],
    optional: ['strength', 'num_inference_steps', 'guidance_scale', ...COMMON],
    images: ['image_url'],
  },
  'fal-ai/flux-pro/v1/fill': {
    required: ['prompt', 'image_url', 'mask_url'],
    optional: COMMON,
    images: ['image_url', 'mask_url'],
  },
  'fal-ai/flux-pro/kontext': {
    required: ['prompt', 'image_url'],
    optional: ['guidance_scale', 'aspect_ratio', ...COMMON],
    images: ['image_url'],
  },
  'fal-ai/flux-pro/kontext/multi': {
    required: ['prompt', 'image_urls'],
    optional: ['guidance_scale', 'aspect_ratio', ...COMMON],
    images: [],
    imageLists: { image_urls: 4 },
  },
};

/** A file stored through the fake's storage API. */
export interface FalStoredFile {
  id: string;
  fileName: string;
  type: string;
  bytes: Buffer | null;
}

const IMAGE_DATA_URI = /^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/]+=*$/;
const invalid = (field: string, msg: string): FakeReply => ({
  status: 422,
  json: { detail: [{ loc: ['body', field], msg, type: 'value_error' }] },
});

/** fal's 422 for an input the model would refuse, or null. Unknown models are not checked. */
export function falInputRefusal(
  model: string,
  input: Record<string, unknown>,
  stored: (url: string) => FalStoredFile | undefined,
): FakeReply | null {
  const schema = FAL_MODEL_SCHEMAS[model];
  if (!schema) return null;
  const lists = schema.imageLists ?? {};
  const known = new Set([...schema.required, ...schema.optional, ...schema.images, ...Object.keys(lists)]);
  for (const field of Object.keys(input))
    if (!known.has(field)) return invalid(field, 'Extra inputs are not permitted');
  for (const field of schema.required) if (input[field] === undefined) return invalid(field, 'Field required');
  const isImage = (value: unknown) =>
    typeof value === 'string' && (IMAGE_DATA_URI.test(value) || stored(value)?.type.startsWith('image/') === true);
  for (const field of schema.images)
    if (input[field] !== undefined && !isImage(input[field])) return invalid(field, 'Input should be an image URL');
  for (const [field, max] of Object.entries(lists)) {
    const value = input[field];
    if (value !== undefined && (!Array.isArray(value) || value.length > max || !value.every(isImage)))
      return invalid(field, `Input should be a list of at most ${max} image URLs`);
  }
  const strength = input.strength;
  if (strength !== undefined && !(typeof strength === 'number' && strength >= 0.01 && strength <= 1))
    return invalid('strength', 'Input should be between 0.01 and 1');
  return null;
}

/** The storage routes; null when `incoming` is not one of them. */
export function falStorage(
  incoming: RecordedRequest,
  url: URL,
  serverUrl: string,
  files: FalStoredFile[],
  apiKey: string,
): FakeReply | null {
  if (incoming.method === 'POST' && url.pathname === '/storage/upload/initiate') {
    if (incoming.headers.authorization !== `Key ${apiKey}`) return { status: 401, json: { detail: 'Unauthorized' } };
    if (url.searchParams.get('storage_type') !== 'fal-cdn-v3') return invalid('storage_type', 'Unknown storage type');
    const body = JSON.parse(incoming.body.toString('utf8')) as { content_type?: string; file_name?: string };
    if (!body.content_type || !body.file_name) return invalid('content_type', 'Field required');
    const file: FalStoredFile = { id: randomUUID(), fileName: body.file_name, type: body.content_type, bytes: null };
    files.push(file);
    return {
      status: 200,
      json: { upload_url: `${serverUrl}/storage/put/${file.id}`, file_url: `${serverUrl}/files/stored/${file.id}` },
    };
  }
  const put = /^\/storage\/put\/([^/]+)$/.exec(url.pathname);
  if (incoming.method === 'PUT' && put) {
    const file = files.find((candidate) => candidate.id === put[1]);
    if (!file) return { status: 404, json: { detail: 'Upload not found' } };
    if (incoming.headers['content-type'] !== file.type)
      return { status: 400, json: { detail: 'Content-Type mismatch' } };
    file.bytes = incoming.body;
    return { status: 200, body: '' };
  }
  return null;
}
