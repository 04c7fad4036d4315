/**
 * Content types come from the key's extension: the worker always names a key after the format it
 * wrote, so every medium (a directory, a bucket) agrees on what an object is without asking it.
 */
const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

export function contentTypeOf(key: string): string {
  const dot = key.lastIndexOf('.');
  const extension = dot > key.lastIndexOf('/') ? key.slice(dot + 1).toLowerCase() : '';
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

/** Throws unless `contentType` is what the key's extension says. */
export function assertContentTypeMatches(key: string, contentType: string): void {
  if (contentTypeOf(key) !== contentType) throw new Error(`key ${key} does not match content type ${contentType}`);
}
