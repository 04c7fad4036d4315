/** Uploads an image the user brings as an asset (POST /api/v1/assets, multipart), signed in by the session cookie. */
import type { AssetView } from '@darkroom/core';

/** An upload the API refused, with its words (which name the limit), or the network failed. */
export class UploadError extends Error {}

export async function uploadAsset(file: Blob, name = 'image'): Promise<AssetView> {
  const body = new FormData();
  body.append('file', file, name);
  let response: Response;
  try {
    response = await fetch('/api/v1/assets', { method: 'POST', body });
  } catch {
    throw new UploadError('Could not reach Darkroom to upload the image. Try again in a moment.');
  }
  if (!response.ok) {
    const detail = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new UploadError(
      `${name} was not accepted: ${detail?.error?.message ?? `the server answered ${response.status}`}.`,
    );
  }
  return (await response.json()) as AssetView;
}
