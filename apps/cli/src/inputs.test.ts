import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@darkroom/api';
import type { JobView } from '@darkroom/core';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { loadWorkerConfig, startWorker, type RunningWorker } from '@darkroom/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built `darkroom` binary with image inputs, against a real API and worker on a fresh database.
const BIN = path.resolve(import.meta.dirname, '../dist/main.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'darkroom-cli-inputs-'));
const RED = path.join(scratch, 'red.png');
const WHITE = path.join(scratch, 'white.png');
let database: TestDatabase;
let api: RunningApi;
let worker: RunningWorker;
let apiKey: string;

beforeAll(async () => {
  writeFileSync(
    RED,
    Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
      'base64',
    ),
  );
  writeFileSync(
    WHITE,
    Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==',
      'base64',
    ),
  );
  database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    STORAGE_DIR: path.join(scratch, 'images'),
    PORT: '0',
    LOG_LEVEL: 'silent',
    POLL_INTERVAL_MS: '200',
  };
  worker = await startWorker(loadWorkerConfig(env));
  api = await startApi(loadApiConfig(env));
  const signUp = await fetch(`${api.url}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'cli-inputs@example.com', password: 'a long enough password' }),
  });
  const cookie = signUp.headers.get('set-cookie')!.split(';')[0]!;
  const created = await fetch(`${api.url}/trpc/apiKeys.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'cli tests' }),
  });
  apiKey = ((await created.json()) as { result: { data: { key: string } } }).result.data.key;
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await database?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

function darkroom(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', DARKROOM_URL: api.url, DARKROOM_API_KEY: apiKey };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('darkroom with image inputs', () => {
  it('uploads --image, --mask and --reference role=path files first and names them in the job', async () => {
    const run = await darkroom([
      'generate',
      'a red door',
      '--image',
      RED,
      '--mask',
      WHITE,
      '--reference',
      `product=${WHITE}`,
      '--reference',
      RED,
      '--no-wait',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const job = JSON.parse(run.stdout) as JobView;
    expect(job.kind).toBe('inpaint');
    expect(job.inputs.map((input) => [input.slot, input.role, input.width])).toEqual([
      ['image', null, 1],
      ['mask', null, 1],
      ['reference', 'product', 1],
      ['reference', 'subject', 1],
    ]);
    // The same file twice is one asset.
    expect(job.inputs[0]!.assetId).toBe(job.inputs[3]!.assetId);
  });

  it('exits 2 naming the flag for a file it cannot read, and for --strength without --image', async () => {
    const missing = await darkroom(['generate', 'x', '--image', path.join(scratch, 'nope.png')]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('--image: cannot read')]);
    const strength = await darkroom(['generate', 'x', '--strength', '0.5']);
    expect([strength.code, strength.stderr]).toEqual([2, expect.stringContaining('--strength needs --image')]);
  });

  it('varies and upscales a result by its image id, each recording it as the parent', async () => {
    const first = await darkroom(['generate', 'a lantern', '--json', '-q']);
    expect(first.code).toBe(0);
    const imageId = (JSON.parse(first.stdout) as { job: JobView }).job.images[0]!.id;

    const vary = await darkroom(['vary', imageId, '--strength', '0.3', '--no-wait', '--json']);
    expect(vary.code).toBe(0);
    expect(JSON.parse(vary.stdout)).toMatchObject({ kind: 'image-to-image', parentImageId: imageId });

    const upscale = await darkroom(['upscale', imageId, '--factor', '4', '--json', '-q']);
    expect(upscale.code).toBe(0);
    expect((JSON.parse(upscale.stdout) as { job: JobView }).job).toMatchObject({
      kind: 'upscale',
      parentImageId: imageId,
      inputOptions: { upscale: 4 },
      status: 'succeeded',
    });

    const missing = await darkroom(['vary', '0190a000-0000-7000-8000-000000000000']);
    expect(missing.code).toBe(4);
    const badFactor = await darkroom(['upscale', imageId, '--factor', '3']);
    expect(badFactor.code).toBe(2);
  });
});
