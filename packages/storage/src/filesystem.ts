import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { assertContentTypeMatches, contentTypeOf } from './content-type.js';
import {
  assertValidKey,
  assertValidPrefix,
  type ImageStorage,
  type ListedObject,
  type StoredObject,
} from './storage.js';
import { withPutSpans } from './traced.js';

export interface FilesystemStorageOptions {
  /** Directory that holds every object; created when missing. */
  root: string;
}

/** A directory as image storage; every write is a `storage.put` span when traces are on. */
export function createFilesystemStorage(options: FilesystemStorageOptions): ImageStorage {
  return withPutSpans(untracedFilesystemStorage(options), 'filesystem');
}

function untracedFilesystemStorage({ root }: FilesystemStorageOptions): ImageStorage {
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
      // Write beside the target, flush it to disk, then rename and flush the directory: a crash (or a
      // power cut) never leaves a half or empty image under the real key once the row says it is stored.
      const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        const handle = await open(temp, 'w');
        try {
          await handle.writeFile(body);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, file);
        await syncDirectory(path.dirname(file));
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
    async list({ prefix, after, limit }) {
      assertValidPrefix(prefix);
      const objects: ListedObject[] = [];
      for await (const key of keysUnder(base, prefix, after)) {
        // A file removed between the directory read and here is simply not listed.
        const info = await stat(path.join(base, ...key.split('/'))).catch(() => null);
        if (info?.isFile()) objects.push({ key, bytes: info.size, modifiedAt: info.mtime });
        if (objects.length === limit) return { objects, next: key };
      }
      return { objects, next: null };
    },
  };
}

/**
 * The keys of the files under `prefix`, in key order, after `after`: a depth-first walk that reads only
 * the folders that can hold keys past `after`, so a page deep into a large store costs one sorted
 * listing per level rather than a walk of everything before it.
 */
async function* keysUnder(base: string, prefix: string, after: string | undefined): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(path.join(base, ...prefix.split('/').filter(Boolean)), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const named = entries
    .filter((entry) => entry.isDirectory() || entry.isFile())
    .map((entry) => ({ key: `${prefix}${entry.name}${entry.isDirectory() ? '/' : ''}`, folder: entry.isDirectory() }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { key, folder } of named) {
    if (folder) {
      // Every key in this folder sorts before `after` when `after` is past the folder and not inside it.
      if (after !== undefined && after > key && !after.startsWith(key)) continue;
      yield* keysUnder(base, key, after);
    } else if (after === undefined || key > after) {
      yield key;
    }
  }
}

/** Makes a rename in `dir` durable (the directory entry itself is flushed). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
