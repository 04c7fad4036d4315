/**
 * The fake Stability's edit, control, image-to-image and upscale endpoints (../shared/ENGINES.md §4):
 * each checks its required fields and refuses unknown ones (400 `bad_request` naming the field),
 * takes images only as file parts with an image content type, and answers an image the size the real
 * endpoint would: the input's for edits and sketch/structure, 4x for `upscale/fast`, about 4 MP for
 * `upscale/conservative`, 1 MP at the aspect ratio for `control/style`.
 */
import sharp from 'sharp';
import type { RecordedRequest } from './fake-http.js';

export interface StabilityFile {
  type: string;
  filename: string;
  bytes: Buffer;
}

/** One call as the fake received it. */
export interface StabilityCall {
  /** After /v2beta/stable-image/, e.g. `edit/inpaint`. */
  path: string;
  /** Part names in the order sent. */
  names: string[];
  fields: Record<string, string>;
  files: Record<string, StabilityFile>;
}

const COMMON = ['seed', 'output_format'];
/** Per endpoint: required fields, optional fields, file fields. */
const ENDPOINTS: Record<string, { required: string[]; optional: string[]; files: string[] }> = {
  'edit/inpaint': {
    required: ['prompt'],
    optional: ['negative_prompt', 'grow_mask', 'style_preset', ...COMMON],
    files: ['image', 'mask'],
  },
  'edit/erase': { required: [], optional: ['grow_mask', ...COMMON], files: ['image', 'mask'] },
  'edit/outpaint': {
    required: [],
    optional: ['prompt', 'left', 'right', 'up', 'down', 'creativity', ...COMMON],
    files: ['image'],
  },
  'edit/search-and-replace': {
    required: ['prompt', 'search_prompt'],
    optional: ['negative_prompt', 'grow_mask', ...COMMON],
    files: ['image'],
  },
  'control/sketch': {
    required: ['prompt'],
    optional: ['control_strength', 'negative_prompt', ...COMMON],
    files: ['image'],
  },
  'control/structure': {
    required: ['prompt'],
    optional: ['control_strength', 'negative_prompt', ...COMMON],
    files: ['image'],
  },
  'control/style': {
    required: ['prompt'],
    optional: ['negative_prompt', 'aspect_ratio', 'fidelity', ...COMMON],
    files: ['image'],
  },
  'upscale/fast': { required: [], optional: ['output_format'], files: ['image'] },
  'upscale/conservative': {
    required: ['prompt'],
    optional: ['negative_prompt', 'creativity', ...COMMON],
    files: ['image'],
  },
};
const SD3_IMAGE_TO_IMAGE = {
  required: ['prompt', 'mode', 'strength'],
  optional: ['model', 'negative_prompt', 'cfg_scale', 'style_preset', ...COMMON],
  files: ['image'],
};
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

export const isStabilityEditPath = (path: string) => path in ENDPOINTS;

export async function parseStabilityForm(request: RecordedRequest, path: string): Promise<StabilityCall> {
  const form = await new Request('http://fake/', {
    method: 'POST',
    headers: { 'content-type': String(request.headers['content-type']) },
    body: request.body,
  }).formData();
  const call: StabilityCall = { path, names: [], fields: {}, files: {} };
  for (const [name, value] of form.entries()) {
    call.names.push(name);
    if (typeof value === 'string') call.fields[name] = value;
    else call.files[name] = { type: value.type, filename: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return call;
}

/** Why the real endpoint would refuse the call (`field: message`), or null. */
export function stabilityRefusal(call: StabilityCall): string | null {
  const spec = call.path === 'generate/sd3' ? SD3_IMAGE_TO_IMAGE : ENDPOINTS[call.path];
  if (!spec) return `path: unknown endpoint ${call.path}`;
  for (const name of call.names) {
    const known = spec.required.includes(name) || spec.optional.includes(name) || spec.files.includes(name);
    if (!known) return `${name}: unknown field for ${call.path}`;
    if (spec.files.includes(name) && !(name in call.files)) return `${name}: must be a file`;
  }
  for (const name of [...spec.required, 'image']) if (!call.names.includes(name)) return `${name}: is required`;
  for (const [name, file] of Object.entries(call.files))
    if (!IMAGE_TYPES.includes(file.type)) return `${name}: unsupported content type '${file.type}'`;
  if (call.path === 'generate/sd3' && call.fields.mode !== 'image-to-image') return 'mode: expected image-to-image';
  const strength = Number(call.fields.strength ?? 0.5);
  if (!(strength >= 0 && strength <= 1)) return 'strength: must be between 0 and 1';
  return null;
}

/** The size the real endpoint answers for this call. */
export async function stabilityAnswerSize(call: StabilityCall): Promise<{ width: number; height: number }> {
  const input = await sharp(call.files.image!.bytes).metadata();
  const [width, height] = [input.width, input.height];
  if (call.path === 'upscale/fast') return { width: width * 4, height: height * 4 };
  if (call.path === 'upscale/conservative') {
    const scale = Math.sqrt((4 * 1024 * 1024) / (width * height));
    return { width: Math.round(width * scale), height: Math.round(height * scale) };
  }
  if (call.path === 'control/style') {
    const [w, h] = (call.fields.aspect_ratio ?? '1:1').split(':').map(Number) as [number, number];
    const scale = Math.sqrt((1024 * 1024) / (w * h));
    return { width: Math.round(w * scale), height: Math.round(h * scale) };
  }
  return { width, height };
}
