import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertValidKey, type ImageStorage, type StoredObject } from './storage.js';

export interface FilesystemStorageOptions {
  /** Directory that holds every object; created when missing. */
  root: string;
}

/**
 * Content types come from the key's extension: the worker always names a key after the format it
 * wrote, and that keeps the directory a plain tree of images an operator can browse or back up.
 */
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

function contentTypeOf(key: string) {
  return CONTENT_TYPES[path.extname(key).toLowerCase()] ?? 'application/octet-stream';
}

export function createFilesystemStorage({ root }: FilesystemStorageOptions): ImageStorage {
  const base = path.resolve(root);
  const fileOf = (key: string) => {
    assertValidKey(key);
    return path.join(base, ...key.split('/'));
  };

  return {
    async put(key, body, contentType): Promise<StoredObject> {
      const file = fileOf(key);
      if (contentTypeOf(key) !== contentType) {
        throw new Error(`key ${key} does not match content type ${contentType}`);
      }
      await mkdir(path.dirname(file), { recursive: true });
      // Write beside the target, then rename: a crash never leaves a half image under the real key.
      const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(temp, body);
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return { key, bytes: body.length, contentType };
    },
    async get(key) {
      try {
        const body = await readFile(fileOf(key));
        return { body, bytes: body.length, contentType: contentTypeOf(key) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async stat(key) {
      try {
        const info = await stat(fileOf(key));
        return { bytes: info.size, contentType: contentTypeOf(key) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
  };
}
