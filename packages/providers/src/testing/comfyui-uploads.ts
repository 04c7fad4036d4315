/**
 * The fake ComfyUI's `/upload/image` and `/upload/mask`, after `server.py` image_upload and upload_mask:
 * multipart fields `image` (a file part with a filename), `type` (input|temp|output, default input),
 * `subfolder`, `overwrite` ("true"/"1"), and for the mask `original_ref` (JSON; its `type` defaults to
 * output). The mask's alpha is copied into the original (which must have the mask's size, or PIL's
 * putalpha raises: 500) and saved as PNG under the mask's name; a missing original saves nothing yet
 * still answers 200, as the server does. Anything malformed is an empty 400.
 */
import sharp from 'sharp';
import type { FakeReply, RecordedRequest } from './fake-http.js';

export interface FakeUpload {
  route: 'image' | 'mask';
  /** Every multipart field but the file, as sent. */
  fields: Record<string, string>;
  filename: string;
  mime: string;
  bytes: Buffer;
}

/** Files by `type/subfolder/name`. */
export type FakeFiles = Map<string, Buffer>;

const TYPES = ['input', 'temp', 'output'];
const unsafe = (part: string) => part.startsWith('/') || part.split(/[\\/]/).includes('..');

export async function fakeUpload(
  route: 'image' | 'mask',
  incoming: RecordedRequest,
  files: FakeFiles,
  uploads: FakeUpload[],
): Promise<FakeReply> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(incoming.body), {
      headers: { 'content-type': String(incoming.headers['content-type'] ?? '') },
    }).formData();
  } catch {
    return { status: 400 };
  }
  const file = form.get('image');
  if (!(file instanceof File) || !file.name) return { status: 400 };
  const fields: Record<string, string> = {};
  for (const [key, value] of form.entries()) if (typeof value === 'string') fields[key] = value;
  const type = fields.type || 'input';
  const subfolder = fields.subfolder ?? '';
  if (!TYPES.includes(type) || unsafe(subfolder) || unsafe(file.name)) return { status: 400 };
  const bytes = Buffer.from(await file.arrayBuffer());
  uploads.push({ route, fields, filename: file.name, mime: file.type, bytes });
  let name = file.name;
  const key = (n: string) => `${type}/${subfolder}/${n}`;
  if (fields.overwrite !== 'true' && fields.overwrite !== '1') {
    for (let i = 1; files.has(key(name)) && !files.get(key(name))!.equals(bytes); i++)
      name = file.name.replace(/(\.[^.]*)?$/, (ext) => ` (${i})${ext}`);
  }
  if (route === 'image') {
    files.set(key(name), bytes);
    return { status: 200, json: { name, subfolder, type } };
  }
  let ref: { filename?: string; subfolder?: string; type?: string };
  try {
    ref = JSON.parse(fields.original_ref ?? '') as typeof ref;
  } catch {
    return { status: 500, body: '500 Internal Server Error' };
  }
  if (!ref.filename || unsafe(ref.filename) || unsafe(ref.subfolder ?? '')) return { status: 400 };
  const original = files.get(`${ref.type ?? 'output'}/${ref.subfolder ?? ''}/${ref.filename}`);
  if (original) {
    const base = sharp(original).ensureAlpha();
    const [{ width, height }, maskMeta] = await Promise.all([base.metadata(), sharp(bytes).metadata()]);
    if (width !== maskMeta.width || height !== maskMeta.height)
      return { status: 500, body: '500 Internal Server Error' };
    const alpha = await sharp(bytes).ensureAlpha().extractChannel(3).raw().toBuffer();
    const rgb = await sharp(original).removeAlpha().toColourspace('srgb').raw().toBuffer();
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
      rgba[i * 4 + 3] = alpha[i]!;
    }
    files.set(
      key(name),
      await sharp(rgba, { raw: { width, height, channels: 4 } })
        .png()
        .toBuffer(),
    );
  }
  return { status: 200, json: { name, subfolder, type } };
}
