import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertContentTypeMatches, contentTypeOf } from './content-type.js';
import { assertValidKey, type ImageStorage, type StoredObject } from './storage.js';

export interface FilesystemStorageOptions {
  /** Directory that holds every object; created when missing. */
  root: string;
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
      assertContentTypeMatches(key, contentType);
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
