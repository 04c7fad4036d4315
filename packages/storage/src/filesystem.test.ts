import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFilesystemStorage, imageKey } from './index.js';

const png = (text: string) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from(text)]);

function fresh() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'darkroom-storage-'));
  return { root, storage: createFilesystemStorage({ root }) };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('filesystem storage', () => {
  it('round-trips bytes and content type, and overwrites', async () => {
    const { storage } = fresh();
    const key = imageKey('job-1', 0);
    expect(await storage.put(key, png('one'), 'image/png')).toEqual({ key, bytes: 7, contentType: 'image/png' });
    await storage.put(key, png('second'), 'image/png');
    expect(await storage.get(key)).toEqual({ body: png('second'), bytes: 10, contentType: 'image/png' });
    expect(await storage.stat(key)).toEqual({ bytes: 10, contentType: 'image/png' });
  });

  it('answers null for a missing key and deletes idempotently', async () => {
    const { storage } = fresh();
    expect(await storage.get('jobs/none/0.png')).toBeNull();
    await storage.put('jobs/a/0.png', png('x'), 'image/png');
    await storage.delete('jobs/a/0.png');
    await storage.delete('jobs/a/0.png');
    expect(await storage.stat('jobs/a/0.png')).toBeNull();
  });

  it.each(['/etc/passwd', '../outside.png', 'jobs/../../x.png', 'jobs\\x.png', 'jobs//0.png', ''])(
    'refuses the key %j',
    async (key) => {
      const { storage } = fresh();
      await expect(storage.put(key, png('x'), 'image/png')).rejects.toThrow(/invalid storage key/);
      await expect(storage.get(key)).rejects.toThrow(/invalid storage key/);
    },
  );

  it('leaves only the final files behind, no temporaries', async () => {
    const { root, storage } = fresh();
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => storage.put(imageKey('job-2', i), png(`n${i}`), 'image/png')),
    );
    expect(filesUnder(root).sort()).toEqual([0, 1, 2, 3, 4].map((i) => path.join('jobs', 'job-2', `${i}.png`)));
  });

  it('refuses a content type that contradicts the key', async () => {
    const { storage } = fresh();
    await expect(storage.put('jobs/j/0.png', png('x'), 'image/webp')).rejects.toThrow(/does not match/);
  });
});
