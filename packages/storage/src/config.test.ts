import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '@darkroom/core';
import S3rver from 's3rver';
import { describe, expect, it } from 'vitest';
import { checkStorageConfig, createStorage, describeStorage, StorageEnv } from './index.js';

const parse = (env: Record<string, string>) => parseConfig('test', StorageEnv.superRefine(checkStorageConfig), env);

describe('storage configuration', () => {
  it('defaults to the filesystem under the given directory', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-config-'));
    const config = parse({});
    const storage = createStorage(config, dir);

    await storage.put('jobs/a/0.png', Buffer.from('png'), 'image/png');

    expect(config.STORAGE_DRIVER).toBe('filesystem');
    expect(describeStorage(config, dir)).toBe(dir);
    expect(await storage.stat('jobs/a/0.png')).toEqual({ bytes: 3, contentType: 'image/png' });
  });

  it('refuses s3 without a bucket, naming the variable, and half a credential pair', () => {
    expect(() => parse({ STORAGE_DRIVER: 's3' })).toThrow(
      'S3_BUCKET: S3_BUCKET is required because STORAGE_DRIVER is s3',
    );
    expect(() => parse({ STORAGE_DRIVER: 's3', S3_BUCKET: 'images', S3_ACCESS_KEY_ID: 'AKIA' })).toThrow(
      /S3_SECRET_ACCESS_KEY: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together/,
    );
    expect(() => parse({ S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/S3_FORCE_PATH_STYLE/);
  });

  it('never shows the secret key, in a refusal, the parsed config or the banner', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    let refusal = '';
    try {
      parse({
        STORAGE_DRIVER: 's3',
        S3_BUCKET: 'x',
        S3_ACCESS_KEY_ID: 'AKIA',
        S3_SECRET_ACCESS_KEY: secret,
        S3_ENDPOINT: 'nope',
      });
    } catch (error) {
      refusal = (error as Error).message;
    }
    const config = parse({
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'images',
      S3_ACCESS_KEY_ID: 'AKIA',
      S3_SECRET_ACCESS_KEY: secret,
    });

    expect(refusal).toMatch(/S3_ENDPOINT/);
    expect([refusal, JSON.stringify(config), describeStorage(config, '/tmp')].join(' ')).not.toContain(secret);
  });

  it('STORAGE_DRIVER=s3 writes to the configured bucket', async () => {
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: mkdtempSync(path.join(os.tmpdir(), 'darkroom-s3c-')),
      configureBuckets: [{ name: 'configured', configs: [] }],
    });
    const { port } = (await server.run()) as AddressInfo;
    const config = parse({
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'configured',
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_PREFIX: 'dr/',
    });
    const storage = createStorage(config, '/nonexistent');
    try {
      await storage.put('jobs/b/0.png', Buffer.from('png!'), 'image/png');

      const response = await fetch(`http://127.0.0.1:${port}/configured/dr/jobs/b/0.png`);
      expect([response.status, await response.text()]).toEqual([200, 'png!']);
      expect(describeStorage(config, '/nonexistent')).toBe(`s3://configured/dr/ at http://127.0.0.1:${port}`);
    } finally {
      await storage.close?.();
      await server.close();
    }
  });
});
