/**
 * A job's input images sent to the ComfyUI instance that will run its prompt (`server.py` image_upload
 * and upload_mask): the image with `POST /upload/image`, the mask with `POST /upload/mask`, whose
 * `original_ref` names the uploaded image so the server writes that image with the mask as its alpha.
 * Multipart fields as the server reads them: `image` (the file part, named), `type`, `subfolder`,
 * `overwrite`. Names are random, so uploads of concurrent jobs never meet.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { maskAsAlpha } from '../engines/mask.js';
import { codeForStatus, type VendorHttp } from '../http/vendor-http.js';
import type { GenerateInputs, InputImage } from '../provider.js';

/** Where uploads go under ComfyUI's input directory. */
export const UPLOAD_SUBFOLDER = 'darkroom';

/** 200 from /upload/image and /upload/mask. */
const ComfyUploaded = z.object({ name: z.string().min(1), subfolder: z.string(), type: z.string() });
type ComfyUploaded = z.infer<typeof ComfyUploaded>;

const EXTENSIONS: Record<InputImage['mime'], string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

/** How LoadImage names an uploaded file: `subfolder/name`. */
const loadName = (file: ComfyUploaded) => (file.subfolder ? `${file.subfolder}/${file.name}` : file.name);

export interface UploadedInputs {
  /** `{{image}}`: the input image. */
  image?: string;
  /** `{{mask}}`: the input image with the mask in its alpha (transparent = regenerate). */
  mask?: string;
}

export async function uploadInputs(
  http: VendorHttp,
  headers: Record<string, string>,
  url: string,
  inputs: GenerateInputs | undefined,
  signal?: AbortSignal,
): Promise<UploadedInputs> {
  const image = inputs?.image;
  if (!image) return {};
  const post = async (route: 'image' | 'mask', bytes: Buffer, mime: string, extra: Record<string, string> = {}) => {
    const form = new FormData();
    const filename = `${randomUUID()}.${route === 'mask' ? 'png' : EXTENSIONS[image.mime]}`;
    form.append('image', new Blob([new Uint8Array(bytes)], { type: mime }), filename);
    form.append('type', 'input');
    form.append('subfolder', UPLOAD_SUBFOLDER);
    form.append('overwrite', 'true');
    for (const [key, value] of Object.entries(extra)) form.append(key, value);
    const response = await http.request({
      url: `${url}/upload/${route}`,
      method: 'POST',
      headers,
      body: form,
      ...(signal ? { signal } : {}),
    });
    // ComfyUI answers a bad upload with an empty 400; a 413 is a body over --max-upload-size.
    if (response.status !== 200)
      throw http.error(
        response.status === 413 || response.status === 400 ? 'invalid_request' : codeForStatus(response.status),
        `upload/${route} answered ${response.status}${response.status === 413 ? " (the image is over the server's --max-upload-size)" : ''}`,
      );
    return http.json(response, ComfyUploaded);
  };
  const uploaded = await post('image', image.bytes, image.mime);
  if (!inputs.mask) return { image: loadName(uploaded) };
  const alpha = await maskAsAlpha(inputs.mask, image.width, image.height);
  const combined = await post('mask', alpha, 'image/png', {
    // The server's default type for the original is "output"; ours is in the input directory.
    original_ref: JSON.stringify({ filename: uploaded.name, subfolder: uploaded.subfolder, type: uploaded.type }),
  });
  return { image: loadName(uploaded), mask: loadName(combined) };
}
