/**
 * Writing images to disk: each file is named for its job and place and takes the extension of the
 * format its bytes are in (what was asked for may differ from what a provider made), never a guess.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImagePreview } from '@darkroom/client';
import type { JobView } from '@darkroom/core';

/** Downloads each stored image of the job into `dir`; answers the files written, in image order. */
export async function saveImages({
  url,
  apiKey,
  job,
  dir,
}: {
  url: string;
  apiKey: string;
  job: JobView;
  dir: string;
}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const image of job.images) {
    if (!image.url) continue;
    const response = await fetch(`${url}${image.url}`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!response.ok) throw new Error(`downloading image ${image.index} of ${job.id} failed: HTTP ${response.status}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const file = path.join(dir, `${job.id}-${image.index}.${extensionOf(bytes, response.headers.get('content-type'))}`);
    await writeFile(file, bytes);
    files.push(file);
  }
  return files;
}

/**
 * Saves one preview as `<job>-<index>-step<step>.<ext>` in `dir`; answers the file, or null when the
 * preview was already replaced (previews live seconds).
 */
export async function savePreview(preview: ImagePreview, dir: string): Promise<string | null> {
  const bytes = await preview.bytes();
  if (!bytes) return null;
  await mkdir(dir, { recursive: true });
  const step = preview.step === null ? `v${new URL(preview.url).searchParams.get('v') ?? '0'}` : `step${preview.step}`;
  const file = path.join(dir, `${preview.jobId}-${preview.index}-${step}.${extensionOf(Buffer.from(bytes), null)}`);
  await writeFile(file, bytes);
  return file;
}

/** The file extension for an image: from its first bytes, else its content type, else `bin`. */
export function extensionOf(bytes: Buffer, contentType: string | null): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  const byType: Record<string, string> = {
    'image/png': 'png',
    'image/jpeg': 'jpg',
    'image/webp': 'webp',
    'image/gif': 'gif',
    'image/avif': 'avif',
  };
  return byType[contentType?.split(';')[0]?.trim().toLowerCase() ?? ''] ?? 'bin';
}
