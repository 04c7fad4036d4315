/**
 * The fake OpenAI's `POST /v1/images/edits`: parses the multipart body for real (the Fetch API's
 * `formData()`), refuses what the real endpoint refuses (a file part without an image content type,
 * more than 16 images, a mask that is not a PNG of the first image's size, an unknown field), records
 * every part as it arrived, and answers an image of the asked size in base64.
 */
import sharp from 'sharp';
import { streamedAnswer, streamRefusal } from './openai-stream.js';
import { fakePng, type FakeReply, type RecordedRequest } from './fake-http.js';

/** One file part as the fake received it. */
export interface ReceivedFile {
  /** The part's name (`image[]`, `image`, `mask`). */
  field: string;
  filename: string;
  type: string;
  bytes: Buffer;
}

/** One edit as the fake received it: the file parts in order, and the text fields. */
export interface ReceivedEdit {
  /** Every part name in the order sent. */
  names: string[];
  images: ReceivedFile[];
  mask?: ReceivedFile;
  fields: Record<string, string>;
}

const TEXT_FIELDS = new Set([
  'prompt',
  'model',
  'n',
  'size',
  'quality',
  'background',
  'input_fidelity',
  'output_format',
  'output_compression',
  'response_format',
  'partial_images',
  'stream',
  'user',
]);
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

/** A refusal in OpenAI's error shape. */
export interface EditRefusal {
  status: number;
  json: unknown;
}

const invalid = (message: string, param: string | null, code = 'invalid_value'): EditRefusal => ({
  status: 400,
  json: { error: { message, type: 'invalid_request_error', param, code } },
});

export async function parseEdit(request: RecordedRequest): Promise<ReceivedEdit | EditRefusal> {
  const type = String(request.headers['content-type'] ?? '');
  if (!type.startsWith('multipart/form-data')) return invalid('Expected multipart/form-data.', null);
  const form = await new Request('http://fake/', {
    method: 'POST',
    headers: { 'content-type': type },
    body: request.body,
  }).formData();
  const edit: ReceivedEdit = { names: [], images: [], fields: {} };
  for (const [name, value] of form.entries()) {
    edit.names.push(name);
    if (typeof value === 'string') {
      if (!TEXT_FIELDS.has(name)) return invalid(`Unknown parameter: '${name}'.`, name, 'unknown_parameter');
      edit.fields[name] = value;
      continue;
    }
    const file: ReceivedFile = {
      field: name,
      filename: value.name,
      type: value.type,
      bytes: Buffer.from(await value.arrayBuffer()),
    };
    if (!IMAGE_TYPES.includes(file.type))
      return invalid(
        `Invalid file '${name}': unsupported mimetype ('${file.type || 'application/octet-stream'}'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.`,
        name,
        'unsupported_file_mimetype',
      );
    if (name === 'image' || name === 'image[]') edit.images.push(file);
    else if (name === 'mask') edit.mask = file;
    else return invalid(`Unknown parameter: '${name}'.`, name, 'unknown_parameter');
  }
  if (edit.images.length === 0)
    return invalid("Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
  if (edit.images.length > 16) return invalid('Too many images: at most 16.', 'image', 'invalid_value');
  if (!edit.fields.prompt)
    return invalid("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (edit.mask) {
    const [mask, first] = await Promise.all([
      sharp(edit.mask.bytes).metadata(),
      sharp(edit.images[0]!.bytes).metadata(),
    ]);
    if (mask.format !== 'png' || !mask.hasAlpha)
      return invalid('The mask must be a PNG with an alpha channel.', 'mask');
    if (mask.width !== first.width || mask.height !== first.height)
      return invalid('Invalid mask: the mask and the image must be the same size.', 'mask');
  }
  return edit;
}

/** The answer to a valid edit: an image of the asked size in the asked format. */
export async function editAnswer(edit: ReceivedEdit): Promise<FakeReply> {
  const [width, height] = (edit.fields.size ?? '1024x1024').split('x').map(Number) as [number, number];
  const format = (edit.fields.output_format ?? 'png') as 'png' | 'jpeg' | 'webp';
  const png = await fakePng(width / 16, height / 16);
  const image = format === 'png' ? png : await sharp(png).toFormat(format).toBuffer();
  if (edit.fields.stream === 'true') {
    const refusal = streamRefusal(edit.fields.partial_images);
    if (refusal) return refusal;
    return streamedAnswer({
      prefix: 'image_edit',
      partials: Number(edit.fields.partial_images ?? 0),
      image,
      format,
      size: edit.fields.size ?? '1024x1024',
    });
  }
  return {
    status: 200,
    json: {
      created: Math.floor(Date.now() / 1000),
      data: [{ b64_json: image.toString('base64') }],
      output_format: format,
    },
  };
}
