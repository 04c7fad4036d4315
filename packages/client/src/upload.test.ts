import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@darkroom/api';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDarkroomClient, darkroomErrorOf } from './index.js';

// A real API on a fresh database, reached over HTTP.
let database: TestDatabase;
let api: RunningApi;
let apiKey: string;
const storageDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-client-upload-'));
/** A 1x1 red PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startApi(
    loadApiConfig({ DATABASE_URL: database.url, STORAGE_DIR: storageDir, PORT: '0', LOG_LEVEL: 'silent' }),
  );
  const signUp = await fetch(`${api.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'uploader@example.com', password: 'a long enough password' }),
  });
  const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${api.url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'upload tests' }),
  });
  apiKey = ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
  rmSync(storageDir, { recursive: true, force: true });
});

describe('client.upload', () => {
  it('uploads a Buffer or a Blob as an asset and submits a job naming it', async () => {
    const darkroom = createDarkroomClient({ url: api.url, apiKey });
    const asset = await darkroom.upload(PNG, { tags: ['red'] });
    expect(asset).toMatchObject({ mime: 'image/png', width: 1, height: 1, tags: ['red'] });
    const again = await darkroom.upload(new Blob([PNG], { type: 'image/png' }));
    expect(again.id).toBe(asset.id);
    const job = await darkroom.submit({ prompt: 'bigger', inputs: { image: asset.id, upscale: 2 } });
    expect([job.kind, job.inputs[0]?.assetId]).toEqual(['upscale', asset.id]);
    expect((await darkroom.trpc.assets.list.query()).map((a) => a.id)).toEqual([asset.id]);
  });

  it('throws a typed error for bytes that are not an image, and for a missing key', async () => {
    const refused = await createDarkroomClient({ url: api.url, apiKey })
      .upload(Buffer.from('not an image'))
      .catch((error: unknown) => darkroomErrorOf(error));
    expect(refused).toMatchObject({ code: 'BAD_INPUT', details: { httpStatus: 415, reason: 'format' } });
    const anonymous = await createDarkroomClient({ url: api.url })
      .upload(PNG)
      .catch((error: unknown) => darkroomErrorOf(error));
    expect(anonymous).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
