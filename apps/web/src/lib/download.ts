/**
 * Downloads made in the browser: one image by its URL, or all of a job's images as one zip built here
 * (fflate), so the server needs no archive route and nothing is kept on disk.
 */
import { zipSync } from 'fflate';

/** `darkroom-<job>-<n>.<ext>`: sorts by job, then by image. */
export function imageFileName(jobId: string, index: number, mime: string | null): string {
  const ext = mime === 'image/jpeg' ? 'jpg' : mime === 'image/webp' ? 'webp' : 'png';
  return `darkroom-${jobId.slice(0, 8)}-${index + 1}.${ext}`;
}

/** A zip of the given files (already compressed images are stored, not deflated again). */
export function zipFiles(files: { name: string; bytes: Uint8Array }[]): Uint8Array {
  return zipSync(Object.fromEntries(files.map((file) => [file.name, [file.bytes, { level: 0 }]])));
}

/** Fetches each image (same origin, the session's cookie) and saves them as `<name>.zip`. */
export async function downloadZip(name: string, images: { url: string; fileName: string }[]): Promise<void> {
  const files = await Promise.all(
    images.map(async (image) => {
      const response = await fetch(image.url, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`could not read ${image.fileName} (${response.status})`);
      return { name: image.fileName, bytes: new Uint8Array(await response.arrayBuffer()) };
    }),
  );
  const blob = new Blob([zipFiles(files) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${name}.zip`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
