/**
 * `upload()`: an image into the caller's assets (POST /api/v1/assets, multipart), to name in a job's
 * inputs. A refusal throws core's DomainError with the server's code, message and details, so
 * `darkroomErrorOf` (and the CLI's exit codes) read it like any tRPC error.
 */
import { DomainError, type AssetView, type DomainErrorCode } from '@darkroom/core';

/** An image's bytes: a Blob (a browser File), a Node Buffer or any byte array. */
export type UploadBody = Blob | ArrayBuffer | Uint8Array;

export interface UploadOptions {
  /** Style tags (e.g. watercolor, pastel). */
  tags?: string[];
  description?: string;
  /** The part's file name; default the File's own, else "image". */
  filename?: string;
  signal?: AbortSignal;
}

const BY_STATUS: Record<number, DomainErrorCode> = {
  400: 'BAD_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'BAD_INPUT',
  415: 'BAD_INPUT',
  429: 'RATE_LIMITED',
};

export function makeUpload({
  url,
  fetchImpl,
  headers,
}: {
  url: string;
  fetchImpl: typeof fetch;
  headers: () => Record<string, string>;
}) {
  /** Stores the image (or answers the caller's existing asset with the same bytes) and returns it. */
  return async function upload(file: UploadBody, options: UploadOptions = {}): Promise<AssetView> {
    const blob = file instanceof Blob ? file : new Blob([new Uint8Array(file)]);
    const form = new FormData();
    if (options.tags?.length) form.append('tags', options.tags.join(','));
    if (options.description) form.append('description', options.description);
    const name = options.filename ?? ((file as { name?: string }).name || 'image');
    form.append('file', blob, name);
    const response = await fetchImpl(`${url.replace(/\/$/, '')}/api/v1/assets`, {
      method: 'POST',
      headers: headers(),
      body: form,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const body = (await response.json().catch(() => null)) as
      (AssetView & { error?: { message?: string; details?: Record<string, unknown> } }) | null;
    if (response.ok && body) return body;
    const code = BY_STATUS[response.status];
    const message = body?.error?.message ?? `upload failed with HTTP ${response.status}`;
    if (!code) throw new Error(message);
    throw new DomainError(code, message, { httpStatus: response.status, ...(body?.error?.details ?? {}) });
  };
}
