/**
 * A job's image inputs through the worker's run: accepted as the API accepts it (lifecycle's accept,
 * input rows with copied storage keys), run by runJob, with a recording provider standing in for the
 * vendor: the bytes it received, the kind, per-image references, and fallback only to a provider that
 * can do the job's kind.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PRICES, JobRequest, type JobRequestInput, type ProviderName } from '@darkroom/core';
import { lifecycle, type JobInputRow, type ResolvedInputs } from '@darkroom/db';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { createLocalProvider, ProviderError, type GenerateRequest, type ImageProvider } from '@darkroom/providers';
import { createFilesystemStorage } from '@darkroom/storage';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, type PipelineDeps } from './pipeline.js';

let database: TestDatabase;
let userId: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-inputs-test-')) });
beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'inputs@example.com', creditBalance: 1000 } })).id;
});
afterAll(() => database.drop());

/** A stored PNG of one shade, as an asset's file would be. */
async function stored(
  name: string,
  shade: number,
  width = 64,
  height = 48,
): Promise<{ row: Omit<JobInputRow, 'slot' | 'position' | 'role'>; bytes: Buffer }> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: { r: shade, g: shade, b: shade } } })
    .png()
    .toBuffer();
  const key = `assets/${userId}/${name}.png`;
  await storage.put(key, bytes, 'image/png');
  return {
    bytes,
    row: { assetId: null, imageId: null, storageKey: key, thumbnailKey: null, mime: 'image/png', width, height },
  };
}

async function accept(input: JobRequestInput, inputs: ResolvedInputs) {
  const { job } = await lifecycle.acceptJob(database.db, {
    userId,
    request: JobRequest.parse(input),
    prices: DEFAULT_PRICES,
    maxActiveJobs: 100,
    inputs,
  });
  return job;
}

/** A provider that records what it is asked and answers with the local provider's image. */
function recording(name: ProviderName, fail?: ProviderError) {
  const local = createLocalProvider();
  const calls: GenerateRequest[] = [];
  const provider: ImageProvider = {
    ...local,
    name,
    async generate(request) {
      calls.push(request);
      if (fail) throw fail;
      return local.generate(request);
    },
  };
  return { provider, calls };
}

function deps(providers: Record<string, ImageProvider>, main: string, extra: Partial<PipelineDeps> = {}): PipelineDeps {
  return {
    db: database.db,
    storage,
    providerFor: (name) => providers[name] ?? providers[main]!,
    log: pino({ level: 'silent' }),
    workerId: 'test',
    imageConcurrency: 2,
    ...extra,
  };
}

describe('a run with image inputs', () => {
  it('hands the provider the stored bytes of the image and mask, and the kind', async () => {
    const image = await stored('photo', 120);
    const mask = await stored('mask', 255);
    const job = await accept(
      {
        prompt: 'a red door',
        provider: 'local',
        inputs: { image: '0190a000-0000-7000-8000-00000000000a', mask: '0190a000-0000-7000-8000-00000000000b' },
      },
      {
        kind: 'inpaint',
        parentImageId: null,
        options: { referenceMode: 'shared' },
        rows: [
          { slot: 'image', position: 0, role: null, ...image.row },
          { slot: 'mask', position: 0, role: null, ...mask.row },
        ],
      },
    );
    const local = recording('local');
    await runJob(deps({ local: local.provider }, 'local'), job.id);

    expect(local.calls).toHaveLength(1);
    const request = local.calls[0]!;
    expect(request.kind).toBe('inpaint');
    expect(request.inputs?.image?.bytes.equals(image.bytes)).toBe(true);
    expect(request.inputs?.mask?.bytes.equals(mask.bytes)).toBe(true);
    expect([request.inputs?.image?.width, request.inputs?.image?.height, request.inputs?.image?.mime]).toEqual([
      64,
      48,
      'image/png',
    ]);
    expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('succeeded');
  });

  it('gives image i reference i in per-image mode, and every reference to every image in shared mode', async () => {
    const refs = await Promise.all([stored('r0', 10), stored('r1', 90), stored('r2', 170)]);
    const rows = refs.map((ref, position): JobInputRow => ({
      slot: 'reference',
      position,
      role: `role${position}`,
      ...ref.row,
    }));
    const ids = refs.map((_, i) => ({ id: `0190a000-0000-7000-8000-00000000010${i}`, role: `role${i}` }));
    const perImage = await accept(
      { prompt: 'one per reference', numImages: 3, inputs: { references: ids, referenceMode: 'per-image' } },
      { kind: 'reference', parentImageId: null, options: { referenceMode: 'per-image' }, rows },
    );
    const local = recording('local');
    await runJob(deps({ local: local.provider }, 'local'), perImage.id);
    const byIndex = new Map(local.calls.map((call) => [call.seed, call]));
    const images = await database.db.image.findMany({ where: { jobId: perImage.id }, orderBy: { index: 'asc' } });
    images.forEach((image, index) => {
      const given = byIndex.get(image.seed!)!.inputs!.references!;
      expect(given.map((reference) => reference.role)).toEqual([`role${index}`]);
      expect(given[0]!.image.bytes.equals(refs[index]!.bytes)).toBe(true);
    });

    const shared = await accept(
      { prompt: 'all of them', numImages: 2, inputs: { references: ids } },
      { kind: 'reference', parentImageId: null, options: { referenceMode: 'shared' }, rows },
    );
    const again = recording('local');
    await runJob(deps({ local: again.provider }, 'local'), shared.id);
    expect(again.calls.map((call) => call.inputs?.references?.map((reference) => reference.role))).toEqual([
      ['role0', 'role1', 'role2'],
      ['role0', 'role1', 'role2'],
    ]);
  });

  it('falls back only to a provider that can do the job kind', async () => {
    const ref = await stored('fallback-ref', 60);
    const job = await accept(
      {
        prompt: 'a product on a beach',
        provider: 'local',
        inputs: { references: [{ id: '0190a000-0000-7000-8000-000000000200' }] },
      },
      {
        kind: 'reference',
        parentImageId: null,
        options: { referenceMode: 'shared' },
        rows: [{ slot: 'reference', position: 0, role: 'product', ...ref.row }],
      },
    );
    const down = recording('local', new ProviderError('transient', 'vendor down'));
    const a1111 = recording('a1111');
    const mock = recording('mock');
    await runJob(
      deps({ local: down.provider, a1111: a1111.provider, mock: mock.provider }, 'local', {
        fallbackOrder: ['a1111', 'mock'],
        maxImageAttempts: 1,
      }),
      job.id,
    );
    expect(a1111.calls).toHaveLength(0);
    expect(mock.calls).toHaveLength(1);
    expect(mock.calls[0]!.kind).toBe('reference');
    const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
    expect([image.status, image.provider]).toEqual(['succeeded', 'mock']);
  });

  it('hands an upscale its image and factor', async () => {
    const image = await stored('kept', 200);
    const job = await accept(
      { prompt: 'sharper', inputs: { image: '0190a000-0000-7000-8000-000000000300', upscale: 2 } },
      {
        kind: 'upscale',
        parentImageId: null,
        options: { referenceMode: 'shared', upscale: 2 },
        rows: [{ slot: 'image', position: 0, role: null, ...image.row }],
      },
    );
    const local = recording('local');
    await runJob(deps({ local: local.provider }, 'local'), job.id);
    expect([local.calls[0]!.kind, local.calls[0]!.inputs?.upscale]).toEqual(['upscale', 2]);
    expect(local.calls[0]!.inputs?.image?.bytes.equals(image.bytes)).toBe(true);
  });

  it('fails the job, not retryable and without calling the provider, when an input file is gone', async () => {
    const image = await stored('vanished', 50);
    const job = await accept(
      { prompt: 'from a lost file', inputs: { image: '0190a000-0000-7000-8000-000000000400' } },
      {
        kind: 'image-to-image',
        parentImageId: null,
        options: { referenceMode: 'shared' },
        rows: [{ slot: 'image', position: 0, role: null, ...image.row }],
      },
    );
    await storage.delete(image.row.storageKey);
    const local = recording('local');
    await runJob(deps({ local: local.provider }, 'local'), job.id);
    expect(local.calls).toHaveLength(0);
    const ended = await database.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect([ended.status, ended.errorCode, ended.errorRetryable, ended.creditsReserved]).toEqual([
      'failed',
      'invalid_request',
      false,
      0,
    ]);
  });
});
